/**
 * A container's environment as Kubernetes wants it: plain variables inline, and every variable that
 * carries a secret read from a Secret through `secretKeyRef`.
 *
 * Which variables carry a secret is learnt, not listed: the environment is built twice with two
 * different sets of stand-ins for the secrets, and a variable whose value changes (or shows a
 * stand-in) depends on a secret. So a secret added to a service's environment later is kept out of
 * the manifests without a change here, whatever the variable is called or however it is derived
 * (a URL with a password in it, a hashed form).
 */
import { createHash } from 'node:crypto';
import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { Env } from '../environments.ts';

type EnvVar = k8s.types.input.core.v1.EnvVar;

export interface SplitEnvironment {
  /** The Secret the variables that carry a secret are read from. */
  secretName: string;
  /** The container's `env`: values inline, secrets by reference to `secretName`. */
  env: EnvVar[];
  /** The names of the variables kept in the Secret. */
  secretKeys: string[];
  /** The Secret's content (a Pulumi secret): variable name → value. */
  secretData: pulumi.Output<Record<string, string>>;
  /** A digest of the Secret's content, so a changed secret rolls the pods (a Pulumi secret). */
  checksum: pulumi.Output<string>;
}

const STAND_IN = /\u00ab[^\u00bb]*\u00bb/;

function standIns(keys: readonly string[], variant: string): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, `\u00ab${k}:${variant}\u00bb`]));
}

/**
 * Builds the environment from `build`, given the secrets it needs; variables that depend on a
 * secret are read from the Secret `secretName`, under their own names.
 */
export function splitEnvironment<M extends Record<string, pulumi.Input<string> | undefined>>(
  build: (secrets: { [K in keyof M]: string }) => Env,
  secrets: M,
  secretName: string,
): SplitEnvironment {
  const keys = Object.keys(secrets);
  const a = build(standIns(keys, 'a') as { [K in keyof M]: string });
  const b = build(standIns(keys, 'b') as { [K in keyof M]: string });
  const names = Object.keys(a);
  const secretKeys = names.filter((name) => a[name] !== b[name] || STAND_IN.test(a[name]!));
  const env: EnvVar[] = names.map((name) =>
    secretKeys.includes(name) ? { name, valueFrom: { secretKeyRef: { name: secretName, key: name } } } : { name, value: a[name]! },
  );
  const real = pulumi.all(secrets as Record<string, pulumi.Input<string>>).apply((values) => build(values as { [K in keyof M]: string }));
  const secretData = pulumi.secret(real.apply((e) => Object.fromEntries(secretKeys.map((name) => [name, e[name]!]))));
  return { secretName, env, secretKeys, secretData, checksum: secretData.apply(digest) };
}

/** A SHA-256 digest of a map, independent of key order. */
export function digest(data: Record<string, string>): string {
  const sorted = Object.keys(data)
    .sort()
    .map((k) => [k, data[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}
