/**
 * The Curity Identity Server on the stack's network. Placeholder: the stack constructs it when
 * `authorizationServer` is "curity"; until the Curity deployment lands, that fails clearly.
 */
import * as pulumi from '@pulumi/pulumi';
import type { Model } from '../model.ts';
import type { SecretOutputs } from './secrets.ts';

export interface CurityServerArgs {
  model: Model;
  networkName: pulumi.Input<string>;
  secrets: SecretOutputs;
  /** The licence (a Pulumi secret). */
  licenseKey: pulumi.Input<string>;
  /** Where Curity sends one-time codes. */
  smtp: { host: string; port: number };
}

export class CurityServer extends pulumi.ComponentResource {
  /** The runtime's base URL on the network, e.g. http://curity:8443 */
  readonly runtimeUrl!: pulumi.Output<string>;
  /** The admin UI's base URL on the network, e.g. http://curity:6749 */
  readonly adminUrl!: pulumi.Output<string>;

  constructor(name: string, args: CurityServerArgs, opts?: pulumi.ComponentResourceOptions) {
    void args;
    throw new Error(
      'Curity deployment is not available yet: run `pulumi config set authorizationServer builtin` to deploy the built-in authorization server',
    );
    super('mcp-secured-api:docker:CurityServer', name, {}, opts);
  }
}
