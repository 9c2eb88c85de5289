/**
 * The deployment's secrets, generated once by Pulumi's random provider and kept in the stack's
 * encrypted state. Every value is a Pulumi secret, so it never shows in previews or outputs.
 */
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { SECRET_NAMES, type Secrets } from '../model.ts';

export type SecretOutputs = { [K in keyof Secrets]: pulumi.Output<string> };

export class StackSecrets extends pulumi.ComponentResource {
  readonly values: SecretOutputs;

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:Secrets', name, {}, opts);
    const values: Partial<SecretOutputs> = {};
    for (const key of SECRET_NAMES) {
      // Letters and digits only: the values travel in HTTP Basic credentials, YAML and XML unescaped.
      const password = new random.RandomPassword(`${name}-${key}`, { length: 40, special: false }, { parent: this });
      values[key] = pulumi.secret(password.result);
    }
    this.values = values as SecretOutputs;
    this.registerOutputs({ values: this.values });
  }
}
