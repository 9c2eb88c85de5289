/**
 * Reads the stack configuration once, for the Pulumi program: every key of this project's
 * namespace, validated by the model's schema; the Curity licence stays a Pulumi secret.
 */
import * as pulumi from '@pulumi/pulumi';
import { StackConfigError, parseStackConfig, PROJECT, type StackConfig } from './model.ts';

export interface PulumiStackConfig {
  config: StackConfig;
  /** The licence as a secret output, for the resources that need it. */
  curityLicenseKey?: pulumi.Output<string>;
  /** The mail relay's password as a secret output. */
  smtpPassword?: pulumi.Output<string>;
}

export function readStackConfig(): PulumiStackConfig {
  const raw = Object.fromEntries(Object.entries(pulumi.runtime.allConfig()).filter(([key]) => key.startsWith(`${PROJECT}:`)));
  let config: StackConfig;
  try {
    config = parseStackConfig(raw);
  } catch (err) {
    // A RunError is shown without a stack trace: the message says what to fix.
    if (err instanceof StackConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const project = new pulumi.Config(PROJECT);
  const curityLicenseKey = project.getSecret('curityLicenseKey');
  const smtpPassword = project.getSecret('smtpPassword');
  return { config, ...(curityLicenseKey ? { curityLicenseKey } : {}), ...(smtpPassword ? { smtpPassword } : {}) };
}
