/** The private bridge network every container joins; containers reach each other by alias. */
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';

export class StackNetwork extends pulumi.ComponentResource {
  readonly name: pulumi.Output<string>;

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:Network', name, {}, opts);
    const network = new docker.Network(name, { driver: 'bridge' }, { parent: this });
    this.name = network.name;
    this.registerOutputs({ name: this.name });
  }
}
