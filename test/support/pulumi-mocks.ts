/**
 * Test support: Pulumi's mocks, recording every resource the program registers, with the outputs
 * the real providers would compute (image ids, network names, random values, PEM texts).
 */
import { createHash } from 'node:crypto';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../infra/model.ts';

export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs as the engine receives them: secrets stay wrapped (see `isSecretInput`). */
  inputs: Record<string, unknown>;
}

export const STACK = 'test';

export interface MockOptions {
  /**
   * What computed values (random passwords, keys, certificates) are derived from, given a
   * resource's name; by default the name itself. Tests that compare two deployments made under
   * different names map both to the same, so only what the configuration changes differs.
   */
  valueName?: (name: string) => string;
}

/** Installs the mocks; call before the program is created. */
export async function installMocks(options: MockOptions = {}): Promise<RecordedResource[]> {
  const resources: RecordedResource[] = [];
  const valueName = options.valueName ?? ((name: string) => name);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computedOutputs(args.type, valueName(args.name), args.inputs) } };
      },
      call(args) {
        return args.inputs;
      },
    },
    PROJECT,
    STACK,
    false,
  );
  return resources;
}

function computedOutputs(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case 'docker:index/network:Network':
      return { name: inputs['name'] ?? `${name}-network` };
    case 'docker:index/image:Image':
      return { repoDigest: `sha256:${name}` };
    case 'docker:index/volume:Volume':
      return { name: inputs['name'] ?? `${name}-volume` };
    case 'docker:index/container:Container':
      // A one-off container (attach) ran to completion.
      return inputs['attach'] ? { exitCode: 0 } : {};
    case 'docker:index/remoteImage:RemoteImage':
      return { imageId: `sha256:${name}` };
    case 'random:index/randomPassword:RandomPassword':
      return { result: `random-${name}` };
    case 'random:index/randomString:RandomString':
      // Letters and digits of the requested length, as the provider makes them (crypt salts need that).
      return {
        result: createHash('sha256')
          .update(name)
          .digest('hex')
          .slice(0, Number(inputs['length'] ?? 16)),
      };
    case 'random:index/randomId:RandomId':
      return {
        hex: createHash('sha256')
          .update(name)
          .digest('hex')
          .slice(0, 2 * Number(inputs['byteLength'] ?? 32)),
      };
    case 'kubernetes:core/v1:Service':
      // A cloud load balancer's address, as its controller reports it in the status.
      return (inputs['spec'] as { type?: string } | undefined)?.type === 'LoadBalancer'
        ? { status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } } }
        : {};
    case 'tls:index/privateKey:PrivateKey':
      return { privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${name}\n-----END PRIVATE KEY-----\n` };
    case 'tls:index/selfSignedCert:SelfSignedCert':
    case 'tls:index/locallySignedCert:LocallySignedCert':
      return { certPem: `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n` };
    case 'tls:index/certRequest:CertRequest':
      return { certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${name}\n-----END CERTIFICATE REQUEST-----\n` };
    default:
      return {};
  }
}

/** Waits until every resource registration under way has reached the mocks. */
export async function settled(): Promise<void> {
  // Internal to the SDK (exported by its settings module, not typed): the promise that the
  // program's outstanding resource registrations and output resolutions hold open.
  const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
  if (!waitForRPCs) throw new Error('@pulumi/pulumi no longer exports runtime.waitForRPCs: update the test support');
  await waitForRPCs();
}

/** The value of an output, and whether it is secret. */
export async function resolve<T>(output: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  const value = await new Promise<T>((done) => output.apply((v) => done(v)));
  return { value, secret: await pulumi.isSecret(output) };
}

/** True when the engine received this input as a secret. */
export function isSecretInput(value: unknown): boolean {
  return pulumi.runtime.isRpcSecret(value);
}

/** The plain value of an input, secret or not. */
export function plain<T = unknown>(value: unknown): T {
  return pulumi.runtime.unwrapRpcSecret(value) as T;
}

/** The plain value of an input with every secret inside it unwrapped, at any depth. */
export function deepPlain<T = unknown>(value: unknown): T {
  const v = pulumi.runtime.unwrapRpcSecret(value);
  if (Array.isArray(v)) return v.map((item) => deepPlain(item)) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, deepPlain(item)])) as T;
  return v as T;
}
