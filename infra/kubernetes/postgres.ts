/**
 * PostgreSQL for the authorization server's state, when no existing database is named: one pod of
 * a StatefulSet with its own PersistentVolumeClaim, so the data outlives pods and upgrades.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { Model } from '../model.ts';
import { splitEnvironment } from './environment.ts';
import { imageVersion } from './images.ts';
import { PARTS, partLabels, PORTS, selectorLabels } from './names.ts';
import { containerSecurity, IMAGE_USERS, podSpec, probes, resources, scratch } from './pod.ts';
import { CHECKSUM_ANNOTATION, envSecret } from './workload.ts';

/** The database and role the authorization server (built-in or Curity) uses. */
export const DATABASE = { user: 'mcp_secured_api', builtin: 'authorization_server', curity: 'curity' } as const;

export interface PostgresArgs {
  model: Model;
  namespace: pulumi.Input<string>;
  image: string;
  password: pulumi.Input<string>;
}

/** The URL the servers connect with; the password is random letters and digits, safe in a URL. */
export function postgresUrl(database: string, password: string): string {
  return `postgresql://${DATABASE.user}:${password}@${PARTS.postgres}:${PORTS.postgres}/${database}`;
}

export class Postgres extends pulumi.ComponentResource {
  readonly statefulSet: k8s.apps.v1.StatefulSet;
  readonly service: k8s.core.v1.Service;
  /** The database this deployment's authorization server uses. */
  readonly database: string;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:kubernetes:Postgres', name, {}, opts);
    const { model, namespace } = args;
    const k = model.config.kubernetes;
    const part = PARTS.postgres;
    const version = imageVersion(args.image);
    const labels = partLabels(part, version);
    this.database = model.config.authorizationServer === 'curity' ? DATABASE.curity : DATABASE.builtin;

    const environment = splitEnvironment(
      (s) => ({
        POSTGRES_USER: DATABASE.user,
        POSTGRES_PASSWORD: s.password,
        POSTGRES_DB: this.database,
        // A directory below the volume's root, which holds lost+found on some storage.
        PGDATA: '/var/lib/postgresql/data/pgdata',
      }),
      { password: args.password },
      `${part}-env`,
    );
    const secret = envSecret(this, name, namespace, part, version, environment);
    const run = scratch('run', '/var/run/postgresql');
    const tmp = scratch('tmp', '/tmp');

    // Headless: the StatefulSet's governing Service; its DNS name resolves to the pod.
    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: part, namespace, labels },
        spec: {
          clusterIP: 'None',
          selector: selectorLabels(part),
          ports: [{ name: 'postgres', port: PORTS.postgres, targetPort: PORTS.postgres, protocol: 'TCP' }],
        },
      },
      { parent: this },
    );

    this.statefulSet = new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: { name: part, namespace, labels },
        spec: {
          serviceName: part,
          replicas: 1,
          selector: { matchLabels: selectorLabels(part) },
          updateStrategy: { type: 'RollingUpdate' },
          template: {
            metadata: { labels, annotations: { [CHECKSUM_ANNOTATION]: environment.checksum } },
            spec: podSpec({
              user: IMAGE_USERS.postgres,
              imagePullSecrets: k.imagePullSecrets,
              // Time for a clean shutdown (a checkpoint) before the pod is killed.
              terminationGracePeriodSeconds: 60,
              volumes: [run.volume, tmp.volume],
              containers: [
                {
                  name: part,
                  image: args.image,
                  env: environment.env,
                  ports: [{ name: 'postgres', containerPort: PORTS.postgres, protocol: 'TCP' }],
                  resources: resources(k.resources.postgres),
                  securityContext: containerSecurity(true),
                  volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }, run.mount, tmp.mount],
                  ...probes({ exec: { command: ['pg_isready', '-h', '127.0.0.1', '-U', DATABASE.user, '-d', this.database] } }, 30),
                },
              ],
            }),
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'data', labels },
              spec: {
                accessModes: ['ReadWriteOnce'],
                ...(k.storage.storageClassName ? { storageClassName: k.storage.storageClassName } : {}),
                resources: { requests: { storage: k.storage.size } },
              },
            },
          ],
        },
      },
      { parent: this, dependsOn: [secret, this.service] },
    );
    this.registerOutputs({});
  }
}
