/**
 * The Curity Identity Server on Kubernetes: everything that is specific to Curity, in one place.
 * The files generated from the model (configuration XML, procedures, the users' changelog) are
 * mounted from a ConfigMap (they hold only `#{…}` parameters, never secrets); every parameter
 * reaches the server from a Secret. A one-off Job creates Curity's schema and loads the model's
 * users into the database with Curity's own commands before the server starts.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { CURITY_PARAMETERS, clearTextSecret, generateCurityConfig, type GeneratedFile } from '../curity/config.ts';
import { USERS_CHANGELOG_DIR, USERS_CHANGELOG_FILE, USERS_CHANGELOG_PATH } from '../curity/users.ts';
import type { Env } from '../environments.ts';
import type { Model } from '../model.ts';
import { digest, splitEnvironment } from './environment.ts';
import { imageVersion } from './images.ts';
import { PARTS, partLabels, PORTS, smtpServer } from './names.ts';
import { containerSecurity, httpProbe, IMAGE_USERS, podSpec, resources, scratch } from './pod.ts';
import type { KubernetesSecrets } from './secrets.ts';
import { deployWorkload, envSecret, type Workload } from './workload.ts';

/** A JDBC connection from a PostgreSQL URL: what Curity's data source and `idsvr -I`/`-L` read. */
export function jdbcConnection(databaseUrl: string): { url: string; username: string; password: string } {
  const u = new URL(databaseUrl);
  return {
    url: `jdbc:postgresql://${u.host}${u.pathname}${u.search}`,
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

/** The init step: schema first, Curity's default data, then the model's users. */
export const CURITY_INIT_COMMAND = [
  'sh',
  '-c',
  `idsvr -I && idsvr -L default && cd ${USERS_CHANGELOG_DIR} && idsvr -L ./${USERS_CHANGELOG_FILE}`,
];

/** ConfigMap keys allow letters, digits, `-`, `_` and `.`: a file's path with the rest replaced. */
export function configMapKey(path: string): string {
  return path.replace(/^\//, '').replace(/[^A-Za-z0-9._-]/g, '_');
}

export interface CurityServerArgs {
  model: Model;
  namespace: pulumi.Input<string>;
  image: string;
  secrets: Pick<KubernetesSecrets, 'adminPassword' | 'gatewayClientSecret' | 'mcpClientSecret'>;
  /** The licence, a Pulumi secret. */
  licenseKey: pulumi.Input<string>;
  /** The PostgreSQL URL of Curity's database, a secret. */
  databaseUrl: pulumi.Input<string>;
  /** Started first (the database). */
  dependsOn?: pulumi.Resource[];
}

interface CuritySecrets {
  licenseKey: string;
  adminPassword: string;
  gatewayClientSecret: string;
  mcpClientSecret: string;
  symmetricKey: string;
  jdbcUrl: string;
  jdbcUsername: string;
  jdbcPassword: string;
}

/** The database connection, read by the data source's parameters and by `idsvr -I`/`-L`. */
function databaseEnv(s: Pick<CuritySecrets, 'jdbcUrl' | 'jdbcUsername' | 'jdbcPassword'>): Env {
  return { JDBC_URL: s.jdbcUrl, JDBC_USERNAME: s.jdbcUsername, JDBC_PASSWORD: s.jdbcPassword };
}

/** The server's environment: every parameter the generated XML names, and the database. */
export function curityEnv(s: CuritySecrets): Env {
  return {
    ADMIN: 'true',
    LOGGING_LEVEL: 'INFO',
    // The image's first-run installer sets up the admin user and the token signing key.
    PASSWORD: s.adminPassword,
    [CURITY_PARAMETERS.licenseKey]: s.licenseKey,
    [CURITY_PARAMETERS.adminPassword]: clearTextSecret(s.adminPassword),
    [CURITY_PARAMETERS.gatewayClientSecret]: clearTextSecret(s.gatewayClientSecret),
    [CURITY_PARAMETERS.mcpClientSecret]: clearTextSecret(s.mcpClientSecret),
    [CURITY_PARAMETERS.symmetricKey]: s.symmetricKey,
    ...databaseEnv(s),
  };
}

export class CurityServer extends pulumi.ComponentResource {
  readonly workload: Workload;
  readonly initJob: k8s.batch.v1.Job;
  readonly files: GeneratedFile[];

  constructor(name: string, args: CurityServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:kubernetes:CurityServer', name, {}, opts);
    const { model, namespace } = args;
    const k = model.config.kubernetes;
    const version = imageVersion(args.image);
    this.files = generateCurityConfig(model, { smtp: smtpServer(model) }).files;

    // Protects Curity's cookies and sessions; kept in the stack state like the other secrets.
    const symmetricKey = new random.RandomId(`${name}-symmetric-key`, { byteLength: 32 }, { parent: this });
    const jdbc = pulumi.secret(pulumi.output(args.databaseUrl).apply(jdbcConnection));
    const database = { jdbcUrl: jdbc.url, jdbcUsername: jdbc.username, jdbcPassword: jdbc.password };

    const files = new k8s.core.v1.ConfigMap(
      `${name}-files`,
      {
        metadata: { name: `${PARTS.curity}-files`, namespace, labels: partLabels(PARTS.curity, version) },
        data: Object.fromEntries(this.files.map((f) => [configMapKey(f.path), f.content])),
      },
      { parent: this },
    );
    const filesVolume = { name: 'files', configMap: { name: files.metadata.name } };
    const mount = (f: GeneratedFile) => ({ name: 'files', mountPath: f.path, subPath: configMapKey(f.path), readOnly: true });
    const filesChecksum = digest(Object.fromEntries(this.files.map((f) => [f.path, f.content])));

    const initEnvironment = splitEnvironment(databaseEnv, database, `${PARTS.curityInit}-env`);
    const initSecret = envSecret(this, `${name}-init`, namespace, PARTS.curityInit, version, initEnvironment);
    const changelog = this.files.filter((f) => f.path === USERS_CHANGELOG_PATH);
    const tmp = scratch('tmp', '/tmp');
    // Jobs cannot change once created: a changed user list replaces the Job, which runs again.
    this.initJob = new k8s.batch.v1.Job(
      `${name}-init`,
      {
        metadata: { name: PARTS.curityInit, namespace, labels: partLabels(PARTS.curityInit, version) },
        spec: {
          backoffLimit: 4,
          template: {
            metadata: { labels: partLabels(PARTS.curityInit, version) },
            spec: podSpec({
              user: IMAGE_USERS.curity,
              imagePullSecrets: k.imagePullSecrets,
              restartPolicy: 'Never',
              volumes: [filesVolume, tmp.volume],
              containers: [
                {
                  name: PARTS.curityInit,
                  image: args.image,
                  command: CURITY_INIT_COMMAND,
                  env: initEnvironment.env,
                  resources: resources(k.resources.curity),
                  // Curity writes below its installation directory.
                  securityContext: containerSecurity(false),
                  volumeMounts: [...changelog.map(mount), tmp.mount],
                },
              ],
            }),
          },
        },
      },
      { parent: this, dependsOn: [initSecret, files, ...(args.dependsOn ?? [])] },
    );

    const environment = splitEnvironment(
      curityEnv,
      {
        licenseKey: args.licenseKey,
        adminPassword: args.secrets.adminPassword,
        gatewayClientSecret: args.secrets.gatewayClientSecret,
        mcpClientSecret: args.secrets.mcpClientSecret,
        symmetricKey: symmetricKey.hex,
        ...database,
      },
      `${PARTS.curity}-env`,
    );
    this.workload = deployWorkload(this, name, {
      namespace,
      part: PARTS.curity,
      version,
      // One server that is also the admin node; Curity's clustering is configured separately.
      replicas: 1,
      user: IMAGE_USERS.curity,
      readOnlyRootFilesystem: false,
      environment,
      container: {
        image: args.image,
        ports: [
          { name: 'http', containerPort: PORTS.curityRuntime, protocol: 'TCP' },
          { name: 'admin', containerPort: PORTS.curityAdmin, protocol: 'TCP' },
          { name: 'status', containerPort: PORTS.curityStatus, protocol: 'TCP' },
        ],
        resources: resources(k.resources.curity),
        volumeMounts: this.files.filter((f) => f.path !== USERS_CHANGELOG_PATH).map(mount),
        // The JVM and the configuration take a while: a minute before liveness counts.
        ...httpProbe('/', PORTS.curityStatus, 60),
      },
      volumes: [filesVolume],
      servicePorts: [
        { name: 'http', port: PORTS.curityRuntime },
        { name: 'admin', port: PORTS.curityAdmin },
      ],
      imagePullSecrets: k.imagePullSecrets,
      checksums: [filesChecksum],
      dependsOn: [this.initJob, files],
    });
    this.registerOutputs({});
  }
}
