/**
 * One part of the stack as Kubernetes objects: a Deployment of identical pods, the Secret its
 * environment's secrets live in, the Service in front of it, and a PodDisruptionBudget when it runs
 * more than one pod. The part's component (gateway, MCP server, ...) says what differs.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { SplitEnvironment } from './environment.ts';
import { partLabels, selectorLabels, type PartName } from './names.ts';
import { containerSecurity, podSpec, ROLLING_UPDATE } from './pod.ts';

type Container = k8s.types.input.core.v1.Container;

/** The pod-template annotation whose change rolls the pods when mounted files or secrets change. */
export const CHECKSUM_ANNOTATION = 'mcp-secured-api/config-checksum';

export interface WorkloadArgs {
  namespace: pulumi.Input<string>;
  part: PartName;
  /** The image's version, for the `app.kubernetes.io/version` label. */
  version: string;
  replicas: number;
  user: number;
  /** The container, without its name, environment and security context (set here for every part). */
  container: Omit<Container, 'name' | 'env' | 'securityContext'>;
  readOnlyRootFilesystem: boolean;
  environment?: SplitEnvironment;
  volumes?: k8s.types.input.core.v1.Volume[];
  /** Ports the Service exposes (the same numbers as the container's). */
  servicePorts: { name: string; port: number }[];
  imagePullSecrets: string[];
  /** Digests of mounted configuration; a change rolls the pods. */
  checksums?: pulumi.Input<string>[];
  /** Created before the pods start (e.g. an init Job). */
  dependsOn?: pulumi.Resource[];
  /** An autoscaler owns the replica count after creation. */
  autoscaled?: boolean;
}

export interface Workload {
  deployment: k8s.apps.v1.Deployment;
  service?: k8s.core.v1.Service;
  disruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
  envSecret?: k8s.core.v1.Secret;
}

/** The Secret holding a part's secret environment variables. */
export function envSecret(
  parent: pulumi.Resource,
  name: string,
  namespace: pulumi.Input<string>,
  part: PartName,
  version: string,
  environment: SplitEnvironment,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    `${name}-env`,
    {
      metadata: { name: environment.secretName, namespace, labels: partLabels(part, version) },
      type: 'Opaque',
      stringData: environment.secretData,
    },
    { parent },
  );
}

export function deployWorkload(parent: pulumi.Resource, name: string, args: WorkloadArgs): Workload {
  const { namespace, part } = args;
  const labels = partLabels(part, args.version);
  const environment = args.environment;
  const secret = environment?.secretKeys.length ? envSecret(parent, name, namespace, part, args.version, environment) : undefined;
  const checksums = [...(environment ? [environment.checksum] : []), ...(args.checksums ?? [])];
  const checksum = checksums.length ? pulumi.all(checksums).apply((all) => all.join(':')) : undefined;

  const deployment = new k8s.apps.v1.Deployment(
    name,
    {
      metadata: { name: part, namespace, labels },
      spec: {
        replicas: args.replicas,
        selector: { matchLabels: selectorLabels(part) },
        strategy: ROLLING_UPDATE,
        // A new pod counts as available only after it stayed ready this long.
        minReadySeconds: 5,
        template: {
          metadata: { labels, ...(checksum ? { annotations: { [CHECKSUM_ANNOTATION]: checksum } } : {}) },
          spec: podSpec({
            user: args.user,
            imagePullSecrets: args.imagePullSecrets,
            ...(args.volumes ? { volumes: args.volumes } : {}),
            containers: [
              {
                name: part,
                ...args.container,
                ...(environment ? { env: environment.env } : {}),
                securityContext: containerSecurity(args.readOnlyRootFilesystem),
              },
            ],
          }),
        },
      },
    },
    {
      parent,
      dependsOn: [...(secret ? [secret] : []), ...(args.dependsOn ?? [])],
      // Left to the autoscaler, or every `pulumi up` would undo its scaling.
      ...(args.autoscaled ? { ignoreChanges: ['spec.replicas'] } : {}),
    },
  );

  const service = args.servicePorts.length
    ? new k8s.core.v1.Service(
        `${name}-service`,
        {
          metadata: { name: part, namespace, labels },
          spec: {
            type: 'ClusterIP',
            selector: selectorLabels(part),
            ports: args.servicePorts.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: 'TCP' })),
          },
        },
        { parent },
      )
    : undefined;

  const disruptionBudget = args.replicas > 1 ? podDisruptionBudget(parent, name, namespace, part, args.version) : undefined;
  return {
    deployment,
    ...(service ? { service } : {}),
    ...(disruptionBudget ? { disruptionBudget } : {}),
    ...(secret ? { envSecret: secret } : {}),
  };
}

/** Voluntary disruptions (node drains, upgrades) leave at least one pod of the part running. */
export function podDisruptionBudget(
  parent: pulumi.Resource,
  name: string,
  namespace: pulumi.Input<string>,
  part: PartName,
  version: string,
): k8s.policy.v1.PodDisruptionBudget {
  return new k8s.policy.v1.PodDisruptionBudget(
    `${name}-pdb`,
    {
      metadata: { name: part, namespace, labels: partLabels(part, version) },
      spec: { minAvailable: 1, selector: { matchLabels: selectorLabels(part) } },
    },
    { parent },
  );
}
