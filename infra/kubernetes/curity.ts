/**
 * The Curity Identity Server on Kubernetes: everything that is specific to Curity, in one place, on
 * the target-neutral pieces of `infra/curity/` (the generated configuration, the init step and the
 * server's start, the key material). The generated files are mounted from ConfigMaps (they hold only
 * `#{…}` parameters, never secrets); every parameter and key reaches the containers from a Secret.
 * The init step runs as the Job `curity-init` (schema, then the model's users) before the server
 * starts.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { CURITY_ENV, curityInitStep, curityServerStart } from '../curity/commands.ts';
import { CURITY_PARAMETERS, generateCurityConfig, jdbcPostgresUrl, type GeneratedFile } from '../curity/config.ts';
import { curityKeyMaterial } from '../curity/key-material.ts';
import type { Env } from '../environments.ts';
import type { Model } from '../model.ts';
import { digest, splitEnvironment, type SplitEnvironment } from './environment.ts';
import { imageVersion } from './images.ts';
import { PARTS, partLabels, PORTS, smtpServer, type PartName } from './names.ts';
import { containerSecurity, httpProbe, IMAGE_USERS, podSpec, resources, scratch } from './pod.ts';
import type { KubernetesSecrets } from './secrets.ts';
import { CHECKSUM_ANNOTATION, deployWorkload, envSecret, type Workload } from './workload.ts';

/** Curity's database connection from a PostgreSQL URL (connection options such as `sslmode` kept). */
export function curityDatabase(databaseUrl: string): { jdbcUrl: string; user: string; password: string } {
  const u = new URL(databaseUrl);
  const database = { host: u.hostname, port: Number(u.port || 5432), database: decodeURIComponent(u.pathname.slice(1)) };
  return {
    jdbcUrl: `${jdbcPostgresUrl(database)}${u.search}`,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

/** ConfigMap keys allow letters, digits, `-`, `_` and `.`: a file's path with the rest replaced. */
export function configMapKey(path: string): string {
  return path.replace(/^\//, '').replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Checks that a container gets every variable its step needs, or Curity would stop at start. */
function requireEnvironment(step: string, needed: readonly string[], environment: SplitEnvironment): void {
  const names = new Set(environment.env.map((e) => e.name));
  const missing = needed.filter((name) => !names.has(name));
  if (missing.length) throw new Error(`CurityServer: the ${step} needs ${missing.join(', ')} in its environment`);
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
  /** Created first (the database). */
  dependsOn?: pulumi.Resource[];
}

export class CurityServer extends pulumi.ComponentResource {
  readonly workload: Workload;
  readonly initJob: k8s.batch.v1.Job;

  constructor(name: string, args: CurityServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:kubernetes:CurityServer', name, {}, opts);
    const { model, namespace } = args;
    const k = model.config.kubernetes;
    const version = imageVersion(args.image);
    const keys = curityKeyMaterial(this, name, args.secrets, model.config.tokenSigningAlgorithm);
    const db = pulumi.secret(pulumi.output(args.databaseUrl).apply(curityDatabase));

    /** A ConfigMap of generated files, and how a container mounts each of them at its path. */
    const filesOf = (part: PartName, files: GeneratedFile[]) => {
      const map = new k8s.core.v1.ConfigMap(
        `${name}-${part}-files`,
        {
          metadata: { name: `${part}-files`, namespace, labels: partLabels(part, version) },
          data: Object.fromEntries(files.map((f) => [configMapKey(f.path), f.content])),
        },
        { parent: this },
      );
      return {
        map,
        volume: { name: 'files', configMap: { name: map.metadata.name } },
        mounts: files.map((f) => ({ name: 'files', mountPath: f.path, subPath: configMapKey(f.path), readOnly: true })),
        checksum: digest(Object.fromEntries(files.map((f) => [f.path, f.content]))),
      };
    };

    // The init step: Curity's image and commands, once the database exists.
    const initStep = curityInitStep(model);
    const initFiles = filesOf(PARTS.curityInit, initStep.files);
    const initEnvironment = splitEnvironment(
      (s): Env => ({
        [CURITY_ENV.jdbcUrl]: s.jdbcUrl,
        [CURITY_ENV.jdbcUsername]: s.user,
        [CURITY_ENV.jdbcPassword]: s.password,
        [CURITY_ENV.signingKeyPem]: s.signingKeyPem,
        [CURITY_ENV.signingCertificatePem]: s.signingCertificatePem,
      }),
      {
        jdbcUrl: db.jdbcUrl,
        user: db.user,
        password: db.password,
        signingKeyPem: keys.signingPems[CURITY_ENV.signingKeyPem]!,
        signingCertificatePem: keys.signingPems[CURITY_ENV.signingCertificatePem]!,
      },
      `${PARTS.curityInit}-env`,
    );
    requireEnvironment('init step', initStep.environment, initEnvironment);
    const initSecret = envSecret(this, `${name}-init`, namespace, PARTS.curityInit, version, initEnvironment);
    const tmp = scratch('tmp', '/tmp');
    const initLabels = partLabels(PARTS.curityInit, version);
    // Jobs cannot change once created: a changed user list or key replaces the Job, which runs again.
    this.initJob = new k8s.batch.v1.Job(
      `${name}-init`,
      {
        metadata: { name: PARTS.curityInit, namespace, labels: initLabels },
        spec: {
          backoffLimit: 4,
          template: {
            metadata: {
              labels: initLabels,
              annotations: { [CHECKSUM_ANNOTATION]: initEnvironment.checksum.apply((c) => `${c}:${initFiles.checksum}`) },
            },
            spec: podSpec({
              user: IMAGE_USERS.curity,
              imagePullSecrets: k.imagePullSecrets,
              restartPolicy: 'Never',
              volumes: [initFiles.volume, tmp.volume],
              containers: [
                {
                  name: PARTS.curityInit,
                  image: args.image,
                  command: initStep.command,
                  env: initEnvironment.env,
                  resources: resources(k.resources.curity),
                  // Curity writes below its installation directory.
                  securityContext: containerSecurity(false),
                  volumeMounts: [...initFiles.mounts, tmp.mount],
                },
              ],
            }),
          },
        },
      },
      { parent: this, dependsOn: [initSecret, initFiles.map, ...(args.dependsOn ?? [])] },
    );

    // The server: the generated XML and procedures, the key converted at start, every parameter from the Secret.
    const start = curityServerStart();
    const serverFiles = filesOf(PARTS.curity, generateCurityConfig(model, { smtp: smtpServer(model) }).files);
    const environment = splitEnvironment(
      (s): Env => ({
        ADMIN: 'true',
        LOGGING_LEVEL: 'INFO',
        [CURITY_PARAMETERS.licenseKey]: s.licenseKey,
        [CURITY_PARAMETERS.adminPassword]: s.adminPassword,
        [CURITY_PARAMETERS.gatewayClientSecret]: s.gatewayClientSecret,
        [CURITY_PARAMETERS.mcpClientSecret]: s.mcpClientSecret,
        [CURITY_PARAMETERS.symmetricKey]: s.symmetricKey,
        [CURITY_PARAMETERS.dbConnection]: s.jdbcUrl,
        [CURITY_PARAMETERS.dbUser]: s.user,
        [CURITY_PARAMETERS.dbPassword]: s.password,
        [CURITY_ENV.signingKeyPem]: s.signingKeyPem,
        [CURITY_ENV.signingCertificatePem]: s.signingCertificatePem,
      }),
      {
        licenseKey: args.licenseKey,
        adminPassword: keys.hashed('adminPassword'),
        gatewayClientSecret: keys.hashed('gatewayClientSecret'),
        mcpClientSecret: keys.hashed('mcpClientSecret'),
        symmetricKey: keys.symmetricKey,
        jdbcUrl: db.jdbcUrl,
        user: db.user,
        password: db.password,
        signingKeyPem: keys.signingPems[CURITY_ENV.signingKeyPem]!,
        signingCertificatePem: keys.signingPems[CURITY_ENV.signingCertificatePem]!,
      },
      `${PARTS.curity}-env`,
    );
    requireEnvironment('server', start.environment, environment);
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
        command: start.command,
        ports: [
          { name: 'http', containerPort: PORTS.curityRuntime, protocol: 'TCP' },
          { name: 'admin', containerPort: PORTS.curityAdmin, protocol: 'TCP' },
          { name: 'status', containerPort: PORTS.curityStatus, protocol: 'TCP' },
        ],
        resources: resources(k.resources.curity),
        volumeMounts: serverFiles.mounts,
        // The JVM and the configuration take a while: a minute before liveness counts.
        ...httpProbe('/', PORTS.curityStatus, 60),
      },
      volumes: [serverFiles.volume],
      servicePorts: [
        { name: 'http', port: PORTS.curityRuntime },
        { name: 'admin', port: PORTS.curityAdmin },
      ],
      imagePullSecrets: k.imagePullSecrets,
      checksums: [serverFiles.checksum],
      // Pulumi waits for the Job to complete: the server starts only after the init step succeeded.
      dependsOn: [this.initJob, serverFiles.map],
    });
    this.registerOutputs({});
  }
}
