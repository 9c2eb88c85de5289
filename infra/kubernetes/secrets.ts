/**
 * The deployment's secrets, generated once by Pulumi's random provider and kept in the stack's
 * encrypted state: every secret the model names, plus those only this target needs (the deployed
 * PostgreSQL's superuser and application role passwords, and the key that encrypts the built-in
 * server's signing keys at rest).
 */
import * as pulumi from '@pulumi/pulumi';
import { SECRET_NAMES } from '../model.ts';
import { randomSecrets } from '../random-secrets.ts';

export const KUBERNETES_SECRET_NAMES = [...new Set([...SECRET_NAMES, 'keyEncryptionKey', 'postgresPassword', 'databasePassword'] as const)];
export type KubernetesSecretName = (typeof KUBERNETES_SECRET_NAMES)[number];
export type KubernetesSecrets = Record<KubernetesSecretName, pulumi.Output<string>>;

export class GeneratedSecrets extends pulumi.ComponentResource {
  readonly values: KubernetesSecrets;

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:kubernetes:GeneratedSecrets', name, {}, opts);
    this.values = randomSecrets(this, name, KUBERNETES_SECRET_NAMES);
    this.registerOutputs({});
  }
}
