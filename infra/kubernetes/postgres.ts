/**
 * PostgreSQL for the authorization server's state, when no existing database is named: one pod of
 * a StatefulSet with its own PersistentVolumeClaim, so the data outlives pods and upgrades. As in
 * the Docker target, each application gets its own database and role, created by the idempotent
 * script of `infra/postgres.ts`, here run by the Job `postgres-init` on every change.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { Model } from '../model.ts';
import { databaseInitScript, passwordVariable, POSTGRES_PORT, postgresUrl, type DatabaseName } from '../postgres.ts';
import { digest, splitEnvironment } from './environment.ts';
import { imageVersion } from './images.ts';
import { PARTS, partLabels, selectorLabels } from './names.ts';
import { containerSecurity, IMAGE_USERS, podSpec, probes, resources, scratch } from './pod.ts';
import { CHECKSUM_ANNOTATION, envSecret } from './workload.ts';

export interface PostgresArgs {
  model: Model;
  namespace: pulumi.Input<string>;
  image: string;
  /** The superuser's password (secret). */
  superuserPassword: pulumi.Input<string>;
  /** The database to create (owned by a role of the same name), and that role's password (secret). */
  database: DatabaseName;
  password: pulumi.Input<string>;
}

const DATA_DIR = '/var/lib/postgresql/data';
const INIT_SCRIPT = { directory: '/init', file: 'databases.sql' } as const;

export class Postgres extends pulumi.ComponentResource {
  readonly statefulSet: k8s.apps.v1.StatefulSet;
  readonly service: k8s.core.v1.Service;
  readonly initJob: k8s.batch.v1.Job;
  /** `postgres://<role>:<password>@postgres:5432/<database>`, a secret. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:kubernetes:Postgres', name, {}, opts);
    const { model, namespace, database } = args;
    const k = model.config.kubernetes;
    const part = PARTS.postgres;
    const version = imageVersion(args.image);
    const labels = partLabels(part, version);

    const environment = splitEnvironment(
      // A directory below the volume's root, which holds lost+found on some storage.
      (s) => ({ POSTGRES_PASSWORD: s.superuser, PGDATA: `${DATA_DIR}/pgdata` }),
      { superuser: args.superuserPassword },
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
          ports: [{ name: 'postgres', port: POSTGRES_PORT, targetPort: POSTGRES_PORT, protocol: 'TCP' }],
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
                  ports: [{ name: 'postgres', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
                  resources: resources(k.resources.postgres),
                  securityContext: containerSecurity(true),
                  volumeMounts: [{ name: 'data', mountPath: DATA_DIR }, run.mount, tmp.mount],
                  // Ready for connections over TCP, as the applications connect.
                  ...probes({ exec: { command: ['pg_isready', '-h', '127.0.0.1', '-U', 'postgres'] } }, 30),
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

    const init = PARTS.postgresInit;
    const initLabels = partLabels(init, version);
    const script = databaseInitScript([database]);
    const scriptMap = new k8s.core.v1.ConfigMap(
      `${name}-init-script`,
      { metadata: { name: `${init}-script`, namespace, labels: initLabels }, data: { [INIT_SCRIPT.file]: script } },
      { parent: this },
    );
    const initEnvironment = splitEnvironment(
      (s) => ({ PGPASSWORD: s.superuser, [passwordVariable(database)]: s.password }),
      { superuser: args.superuserPassword, password: args.password },
      `${init}-env`,
    );
    const initSecret = envSecret(this, `${name}-init`, namespace, init, version, initEnvironment);
    const initTmp = scratch('tmp', '/tmp');
    // Jobs cannot change once created: a changed script or password replaces the Job, which runs again.
    this.initJob = new k8s.batch.v1.Job(
      `${name}-init`,
      {
        metadata: { name: init, namespace, labels: initLabels },
        spec: {
          // The server may still be starting: retry with back-off.
          backoffLimit: 6,
          template: {
            metadata: {
              labels: initLabels,
              annotations: { [CHECKSUM_ANNOTATION]: pulumi.all([initEnvironment.checksum]).apply(([c]) => `${c}:${digest({ script })}`) },
            },
            spec: podSpec({
              user: IMAGE_USERS.postgres,
              imagePullSecrets: k.imagePullSecrets,
              restartPolicy: 'Never',
              volumes: [{ name: 'script', configMap: { name: scriptMap.metadata.name } }, initTmp.volume],
              containers: [
                {
                  name: init,
                  image: args.image,
                  command: [
                    'psql',
                    '-X',
                    '-v',
                    'ON_ERROR_STOP=1',
                    '-h',
                    part,
                    '-U',
                    'postgres',
                    '-f',
                    `${INIT_SCRIPT.directory}/${INIT_SCRIPT.file}`,
                  ],
                  env: initEnvironment.env,
                  resources: resources(k.resources.postgres),
                  securityContext: containerSecurity(true),
                  volumeMounts: [{ name: 'script', mountPath: INIT_SCRIPT.directory, readOnly: true }, initTmp.mount],
                },
              ],
            }),
          },
        },
      },
      { parent: this, dependsOn: [this.statefulSet, scriptMap, initSecret] },
    );

    this.url = pulumi.secret(
      pulumi
        .output(args.password)
        .apply((password) => postgresUrl({ host: part, port: POSTGRES_PORT, database, user: database, password })),
    );
    this.registerOutputs({});
  }
}
