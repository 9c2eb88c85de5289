/**
 * The services built from this repository (stocks API, MCP server, built-in authorization server)
 * as Deployments, each configured with the environment its entry point reads
 * (infra/environments.ts), secrets by reference.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { authorizationServerEnv, mcpServerEnv, stocksApiEnv, type Env } from '../environments.ts';
import type { Model } from '../model.ts';
import { splitEnvironment } from './environment.ts';
import { imageVersion } from './images.ts';
import { kubernetesInternalAddresses, kubernetesTrustedProxies, PARTS, partLabels, PORTS, type PartName } from './names.ts';
import { httpProbe, IMAGE_USERS, resources, scratch, type Resources } from './pod.ts';
import type { KubernetesSecrets } from './secrets.ts';
import { deployWorkload, type Workload, type WorkloadArgs } from './workload.ts';

export interface NodeServiceArgs {
  model: Model;
  namespace: pulumi.Input<string>;
  image: string;
}

/** A service's pods: the image's Node user, a read-only root with a scratch /tmp (tsx's cache), /health probes. */
function nodeService(
  parent: pulumi.Resource,
  name: string,
  part: PartName,
  port: number,
  args: NodeServiceArgs,
  size: { replicas: number; resources: Resources },
  extra: Partial<WorkloadArgs> = {},
): Workload {
  const tmp = scratch('tmp', '/tmp');
  return deployWorkload(parent, name, {
    namespace: args.namespace,
    part,
    version: imageVersion(args.image),
    replicas: size.replicas,
    user: IMAGE_USERS.node,
    readOnlyRootFilesystem: true,
    container: {
      image: args.image,
      ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
      resources: resources(size.resources),
      volumeMounts: [tmp.mount],
      ...httpProbe('/health', port),
    },
    volumes: [tmp.volume],
    servicePorts: [{ name: 'http', port }],
    imagePullSecrets: args.model.config.kubernetes.imagePullSecrets,
    ...extra,
  });
}

export class StocksApi extends pulumi.ComponentResource {
  readonly workload: Workload;

  constructor(name: string, args: NodeServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:kubernetes:StocksApi', name, {}, opts);
    const { model } = args;
    const k = model.config.kubernetes;
    const environment = splitEnvironment(
      () => stocksApiEnv(model, kubernetesInternalAddresses(model), PORTS.stocksApi),
      {},
      `${PARTS.stocksApi}-env`,
    );
    this.workload = nodeService(
      this,
      name,
      PARTS.stocksApi,
      PORTS.stocksApi,
      args,
      { replicas: k.replicas.stocksApi, resources: k.resources.stocksApi },
      { environment },
    );
    this.registerOutputs({});
  }
}

export interface McpServerArgs extends NodeServiceArgs {
  secrets: Pick<KubernetesSecrets, 'mcpClientSecret'>;
}

/** The MCP server, scaled on CPU between `replicas.mcpServer` and `autoscaling.mcpServerMaxReplicas`. */
export class McpServer extends pulumi.ComponentResource {
  readonly workload: Workload;
  readonly autoscaler: k8s.autoscaling.v2.HorizontalPodAutoscaler;

  constructor(name: string, args: McpServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:kubernetes:McpServer', name, {}, opts);
    const { model } = args;
    const k = model.config.kubernetes;
    const environment = splitEnvironment(
      (s) => mcpServerEnv(model, kubernetesInternalAddresses(model), s, PORTS.mcpServer),
      { mcpClientSecret: args.secrets.mcpClientSecret },
      `${PARTS.mcpServer}-env`,
    );
    this.workload = nodeService(
      this,
      name,
      PARTS.mcpServer,
      PORTS.mcpServer,
      args,
      { replicas: k.replicas.mcpServer, resources: k.resources.mcpServer },
      { environment, autoscaled: true },
    );
    this.autoscaler = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-autoscaler`,
      {
        metadata: { name: PARTS.mcpServer, namespace: args.namespace, labels: partLabels(PARTS.mcpServer, imageVersion(args.image)) },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: PARTS.mcpServer },
          minReplicas: k.replicas.mcpServer,
          maxReplicas: k.autoscaling.mcpServerMaxReplicas,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: k.autoscaling.targetCpuUtilization } },
            },
          ],
          // Scale in slowly: MCP clients retry, but a flapping pool costs cold caches.
          behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
        },
      },
      { parent: this, dependsOn: [this.workload.deployment] },
    );
    this.registerOutputs({});
  }
}

export interface BuiltinAuthorizationServerArgs extends NodeServiceArgs {
  secrets: Pick<KubernetesSecrets, 'gatewayClientSecret' | 'mcpClientSecret' | 'cookieSecret' | 'keyEncryptionKey'>;
  /** The PostgreSQL URL its state lives in (a secret). */
  databaseUrl: pulumi.Input<string>;
  /** The mail relay's password (a secret), when it needs one. */
  smtpPassword?: pulumi.Input<string>;
}

/**
 * The environment of the built-in server: the shared one with its database, and the key that
 * encrypts its signing keys at rest unless the shared environment names it itself.
 */
export function builtinAuthorizationServerEnv(
  model: Model,
  secrets: {
    gatewayClientSecret: string;
    mcpClientSecret: string;
    cookieSecret: string;
    keyEncryptionKey: string;
    databaseUrl: string;
    smtpPassword?: string;
  },
): Env {
  const internal = kubernetesInternalAddresses(model);
  if (secrets.smtpPassword) internal.smtp.password = secrets.smtpPassword;
  return {
    KEY_ENCRYPTION_KEY: secrets.keyEncryptionKey,
    ...authorizationServerEnv(model, internal, secrets, PORTS.authorizationServer, {
      databaseUrl: secrets.databaseUrl,
      trustedProxies: kubernetesTrustedProxies(model),
    }),
  };
}

/** The built-in authorization server: several instances on one database act as one server. */
export class BuiltinAuthorizationServer extends pulumi.ComponentResource {
  readonly workload: Workload;

  constructor(name: string, args: BuiltinAuthorizationServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:kubernetes:BuiltinAuthorizationServer', name, {}, opts);
    const { model } = args;
    const k = model.config.kubernetes;
    const { gatewayClientSecret, mcpClientSecret, cookieSecret, keyEncryptionKey } = args.secrets;
    const environment = splitEnvironment(
      (s) => builtinAuthorizationServerEnv(model, s),
      {
        gatewayClientSecret,
        mcpClientSecret,
        cookieSecret,
        keyEncryptionKey,
        databaseUrl: args.databaseUrl,
        ...(args.smtpPassword ? { smtpPassword: args.smtpPassword } : {}),
      },
      `${PARTS.authorizationServer}-env`,
    );
    this.workload = nodeService(
      this,
      name,
      PARTS.authorizationServer,
      PORTS.authorizationServer,
      args,
      { replicas: k.replicas.authorizationServer, resources: k.resources.authorizationServer },
      { environment },
    );
    this.registerOutputs({});
  }
}
