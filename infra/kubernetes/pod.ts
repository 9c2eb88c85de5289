/**
 * What every pod and container of the stack shares: least privilege (non-root, no privilege
 * escalation, every capability dropped, the runtime's seccomp profile, no service-account token),
 * probes, resources, and a rolling update that never drops below the ready pods it has.
 */
import type * as k8s from '@pulumi/kubernetes';
import type { StackConfig } from '../model.ts';

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Probe = k8s.types.input.core.v1.Probe;

/** The user each image runs as (numeric, so the kubelet can verify it is not root). */
export const IMAGE_USERS = {
  /** The Node image's `node` user: the services built from this repository and maildev. */
  node: 1000,
  /** The Kong image's `kong` user. */
  kong: 1000,
  /** The PostgreSQL image's `postgres` user. */
  postgres: 999,
  /** The Curity image's user (its Dockerfile: see infra/curity/SOURCES.md). */
  curity: 10001,
} as const;

export type Resources = StackConfig['kubernetes']['resources']['gateway'];

/** Container settings no workload may weaken. */
export function containerSecurity(readOnlyRootFilesystem: boolean): k8s.types.input.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'] },
  };
}

export interface PodOptions {
  user: number;
  containers: Container[];
  volumes?: k8s.types.input.core.v1.Volume[];
  imagePullSecrets: string[];
  /** Seconds to finish in-flight requests after the pod leaves its Service. */
  terminationGracePeriodSeconds?: number;
  restartPolicy?: 'Always' | 'Never' | 'OnFailure';
}

export function podSpec(options: PodOptions): PodSpec {
  return {
    // No workload calls the Kubernetes API.
    automountServiceAccountToken: false,
    // Service addresses come from the environment we generate, not from Docker-link variables.
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: options.user,
      runAsGroup: options.user,
      fsGroup: options.user,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: options.containers,
    ...(options.volumes?.length ? { volumes: options.volumes } : {}),
    ...(options.imagePullSecrets.length ? { imagePullSecrets: options.imagePullSecrets.map((name) => ({ name })) } : {}),
    ...(options.terminationGracePeriodSeconds !== undefined
      ? { terminationGracePeriodSeconds: options.terminationGracePeriodSeconds }
      : {}),
    ...(options.restartPolicy ? { restartPolicy: options.restartPolicy } : {}),
  };
}

/** A writable scratch directory on a read-only root filesystem. */
export function scratch(
  name: string,
  mountPath: string,
): { volume: k8s.types.input.core.v1.Volume; mount: k8s.types.input.core.v1.VolumeMount } {
  return { volume: { name, emptyDir: { sizeLimit: '64Mi' } }, mount: { name, mountPath } };
}

/** Readiness decides whether a pod gets traffic; liveness restarts a pod that stopped answering. */
export function probes(
  handler: Pick<Probe, 'httpGet' | 'tcpSocket' | 'exec'>,
  startupSeconds = 10,
): Pick<Container, 'readinessProbe' | 'livenessProbe'> {
  return {
    readinessProbe: {
      ...handler,
      initialDelaySeconds: Math.min(startupSeconds, 5),
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    livenessProbe: { ...handler, initialDelaySeconds: startupSeconds, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
  };
}

export function httpProbe(path: string, port: number, startupSeconds?: number) {
  return probes({ httpGet: { path, port } }, startupSeconds);
}

export function resources(r: Resources): k8s.types.input.core.v1.ResourceRequirements {
  return { requests: { ...r.requests }, limits: { ...r.limits } };
}

/** One more pod first, then one old pod less: never fewer ready pods than before the update. */
export const ROLLING_UPDATE: k8s.types.input.apps.v1.DeploymentStrategy = {
  type: 'RollingUpdate',
  rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
};
