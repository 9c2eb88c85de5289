/**
 * The Curity Identity Server on the stack's network, configured entirely by the deployment: its
 * whole configuration generated from the model, its database on the stack's PostgreSQL server,
 * and every secret and key generated here by Pulumi and passed as an environment variable that the
 * XML names as a `#{...}` parameter. No first-run installer runs.
 *
 * Order: the database exists (`database.ready`) → a one-off container creates Curity's schema and
 * seeds the users (its exit code is checked) → the server starts.
 */
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import { CONTAINER_PORTS } from '../container-ports.ts';
import { CURITY_ENV, curityInitStep, curityServerStart } from '../curity/commands.ts';
import { CURITY_PARAMETERS, generateCurityConfig, jdbcPostgresUrl } from '../curity/config.ts';
import { curityKeyMaterial } from '../curity/key-material.ts';
import type { Model } from '../model.ts';
import { envList, ONE_OFF, onNetwork, RUNNING, succeeded } from './container.ts';
import type { DatabaseAccess } from './postgres.ts';

export interface CurityServerArgs {
  model: Model;
  networkName: pulumi.Input<string>;
  secrets: {
    adminPassword: pulumi.Input<string>;
    gatewayClientSecret: pulumi.Input<string>;
    mcpClientSecret: pulumi.Input<string>;
  };
  /** The licence (the `License` field of license.json), a Pulumi secret. */
  licenseKey: pulumi.Input<string>;
  /** Where Curity sends one-time codes. */
  smtp: { host: string; port: number };
  /** Curity's own database on the stack's PostgreSQL server. */
  database: DatabaseAccess;
}

export const CURITY_ALIAS = 'curity';
export const CURITY_INIT_ALIAS = 'curity-init';
export const CURITY_PORTS = {
  runtime: CONTAINER_PORTS.curityRuntime,
  admin: CONTAINER_PORTS.curityAdmin,
  status: CONTAINER_PORTS.curityStatus,
} as const;

/** The image has neither curl nor wget: bash asks the status port directly. */
const STATUS_CHECK = `exec 3<>/dev/tcp/127.0.0.1/${CURITY_PORTS.status} && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '`;

/** Resolves `env`'s values into Docker's `KEY=VALUE` list, as one secret; `needed` must all be there. */
function secretEnvs(needed: readonly string[], env: Record<string, pulumi.Input<string>>): pulumi.Output<string[]> {
  const missing = needed.filter((key) => !(key in env));
  if (missing.length) throw new Error(`CurityServer: a Curity container needs ${missing.join(', ')} in its environment`);
  const keys = Object.keys(env);
  return pulumi.secret(
    pulumi.all(keys.map((k) => env[k]!)).apply((values) => envList(Object.fromEntries(keys.map((k, i) => [k, values[i]!])))),
  );
}

export class CurityServer extends pulumi.ComponentResource {
  /** The runtime's base URL on the network, e.g. http://curity:8443 */
  readonly runtimeUrl: pulumi.Output<string>;
  /** The admin UI's base URL on the network, e.g. http://curity:6749 (plain HTTP: Kong terminates TLS) */
  readonly adminUrl: pulumi.Output<string>;

  constructor(name: string, args: CurityServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:CurityServer', name, {}, opts);
    const parent = { parent: this };
    const { model, database } = args;

    // Curity's key material and secrets, generated once and kept in the stack's encrypted state.
    const keys = curityKeyMaterial(this, name, args.secrets, model.config.tokenSigningAlgorithm);
    const { signingPems } = keys;

    const image = new docker.RemoteImage(`${name}-image`, { name: model.images.curity, keepLocally: true }, parent);

    // The init step: Curity's image and commands, once the database exists.
    const initStep = curityInitStep(model);
    const init = new docker.Container(
      `${name}-init`,
      {
        image: image.imageId,
        ...ONE_OFF,
        command: initStep.command,
        uploads: initStep.files.map((f) => ({ file: f.path, content: f.content })),
        envs: secretEnvs(initStep.environment, {
          [CURITY_ENV.jdbcUrl]: jdbcPostgresUrl(database),
          [CURITY_ENV.jdbcUsername]: database.user,
          // Resolves once the database exists: the step cannot start before.
          [CURITY_ENV.jdbcPassword]: pulumi.all([database.password, database.ready]).apply(([password]) => password),
          ...signingPems,
        }),
        networksAdvanced: onNetwork(args.networkName, CURITY_INIT_ALIAS),
      },
      parent,
    );
    const initialised = succeeded(init, "Creating Curity's database schema and users", `${name}-init`);

    const config = generateCurityConfig(model, { smtp: args.smtp });
    const start = curityServerStart();
    const env: Record<string, pulumi.Input<string>> = {
      ADMIN: 'true',
      LOGGING_LEVEL: 'INFO',
      [CURITY_PARAMETERS.licenseKey]: args.licenseKey,
      [CURITY_PARAMETERS.adminPassword]: keys.hashed('adminPassword'),
      [CURITY_PARAMETERS.gatewayClientSecret]: keys.hashed('gatewayClientSecret'),
      [CURITY_PARAMETERS.mcpClientSecret]: keys.hashed('mcpClientSecret'),
      [CURITY_PARAMETERS.symmetricKey]: keys.symmetricKey,
      [CURITY_PARAMETERS.dbConnection]: jdbcPostgresUrl(database),
      [CURITY_PARAMETERS.dbUser]: database.user,
      // Resolves once the init step succeeded: the server is created only then.
      [CURITY_PARAMETERS.dbPassword]: pulumi.all([database.password, initialised]).apply(([password]) => password),
      ...signingPems,
    };

    new docker.Container(
      name,
      {
        image: image.imageId,
        hostname: CURITY_ALIAS,
        command: start.command,
        envs: secretEnvs(start.environment, env),
        uploads: config.files.map((f) => ({ file: f.path, content: f.content })),
        networksAdvanced: onNetwork(args.networkName, CURITY_ALIAS),
        healthcheck: {
          tests: ['CMD', 'bash', '-c', STATUS_CHECK],
          interval: '10s',
          timeout: '5s',
          // Curity needs a while to boot the JVM and load the configuration.
          startPeriod: '60s',
          retries: 18,
        },
        ...RUNNING,
        waitTimeout: 300,
      },
      parent,
    );

    this.runtimeUrl = pulumi.output(`http://${CURITY_ALIAS}:${CURITY_PORTS.runtime}`);
    this.adminUrl = pulumi.output(`http://${CURITY_ALIAS}:${CURITY_PORTS.admin}`);
    this.registerOutputs({ runtimeUrl: this.runtimeUrl, adminUrl: this.adminUrl });
  }
}
