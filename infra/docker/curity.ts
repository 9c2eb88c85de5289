/**
 * The Curity Identity Server on the stack's network, configured entirely from the model: the
 * generated XML, procedures and users' changelog are uploaded into the container, and every secret
 * reaches it as an environment variable that the XML names as a `#{...}` parameter.
 */
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { CURITY_PARAMETERS, clearTextSecret, generateCurityConfig } from '../curity/config.ts';
import { EMBEDDED_DB, USERS_CHANGELOG_DIR, USERS_CHANGELOG_FILE } from '../curity/users.ts';
import type { Model } from '../model.ts';
import { onNetwork, RUNNING } from './container.ts';

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
}

export const CURITY_ALIAS = 'curity';
export const CURITY_PORTS = { runtime: 8443, admin: 6749, status: 4465 } as const;

/**
 * Loads the model's users into the embedded database (schema first, if the image has none), then
 * starts the server in the foreground as the image itself does.
 */
export const CURITY_COMMAND = ['sh', '-c', `cd ${USERS_CHANGELOG_DIR} && idsvr -I && idsvr -L ./${USERS_CHANGELOG_FILE} && exec idsvr`];

/** The image has neither curl nor wget: bash asks the status port directly. */
const STATUS_CHECK = `exec 3<>/dev/tcp/127.0.0.1/${CURITY_PORTS.status} && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '`;

export class CurityServer extends pulumi.ComponentResource {
  /** The runtime's base URL on the network, e.g. http://curity:8443 */
  readonly runtimeUrl: pulumi.Output<string>;
  /** The admin UI's base URL on the network, e.g. http://curity:6749 */
  readonly adminUrl: pulumi.Output<string>;

  constructor(name: string, args: CurityServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:CurityServer', name, {}, opts);
    const parent = { parent: this };
    const config = generateCurityConfig(args.model, { smtp: args.smtp });

    // Protects Curity's cookies and sessions; kept in the stack state like the other secrets.
    const symmetricKey = new random.RandomId(`${name}-symmetric-key`, { byteLength: 32 }, parent);

    const { secrets } = args;
    const env: Record<string, pulumi.Input<string>> = {
      ADMIN: 'true',
      LOGGING_LEVEL: 'INFO',
      // The image's first-run installer sets up the admin user and the token signing key.
      PASSWORD: secrets.adminPassword,
      [CURITY_PARAMETERS.licenseKey]: args.licenseKey,
      [CURITY_PARAMETERS.adminPassword]: pulumi.output(secrets.adminPassword).apply(clearTextSecret),
      [CURITY_PARAMETERS.gatewayClientSecret]: pulumi.output(secrets.gatewayClientSecret).apply(clearTextSecret),
      [CURITY_PARAMETERS.mcpClientSecret]: pulumi.output(secrets.mcpClientSecret).apply(clearTextSecret),
      [CURITY_PARAMETERS.symmetricKey]: symmetricKey.hex,
      // Read by `idsvr -I` and `idsvr -L` when the users are loaded.
      JDBC_URL: EMBEDDED_DB.url,
      JDBC_USERNAME: EMBEDDED_DB.username,
      JDBC_PASSWORD: '',
    };
    const envs = pulumi.secret(pulumi.all(Object.entries(env).map(([key, value]) => pulumi.output(value).apply((v) => `${key}=${v}`))));

    const image = new docker.RemoteImage(`${name}-image`, { name: args.model.images.curity, keepLocally: true }, parent);
    new docker.Container(
      name,
      {
        image: image.imageId,
        hostname: CURITY_ALIAS,
        command: CURITY_COMMAND,
        envs,
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
