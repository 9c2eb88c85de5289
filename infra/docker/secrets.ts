/**
 * The deployment's secrets, generated once by Pulumi's random provider and kept in the stack's
 * encrypted state. Every value is a Pulumi secret, so it never shows in previews or outputs.
 */
import * as pulumi from '@pulumi/pulumi';
import { SECRET_NAMES, type Secrets } from '../model.ts';
import { randomSecrets } from '../random-secrets.ts';

export type SecretOutputs = { [K in keyof Secrets]: pulumi.Output<string> };

export class StackSecrets extends pulumi.ComponentResource {
  readonly values: SecretOutputs;

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:Secrets', name, {}, opts);
    this.values = randomSecrets(this, name, SECRET_NAMES);
    this.registerOutputs({ values: this.values });
  }
}
