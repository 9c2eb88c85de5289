/**
 * The services built from this repository (stocks API, MCP server, built-in authorization server):
 * one image per service from `services/Dockerfile`, one container each on the stack's network,
 * configured with the environment its entry point reads (infra/environments.ts).
 */
import { fileURLToPath } from 'node:url';
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import { authorizationServerEnv, mcpServerEnv, stocksApiEnv, type Env, type InternalAddresses } from '../environments.ts';
import type { Model } from '../model.ts';
import { ALIASES, DOCKER_TRUSTED_PROXIES, PORTS } from './addresses.ts';
import { envList, httpHealthcheck, onNetwork, RUNNING } from './container.ts';
import type { DatabaseAccess } from './postgres.ts';
import type { SecretOutputs } from './secrets.ts';

export type ServiceName = 'stocks-api' | 'mcp-server' | 'authorization-server';

/** The repository root: the build context of the services' images. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVICES_DOCKERFILE = fileURLToPath(new URL('../../services/Dockerfile', import.meta.url));

export interface NodeServiceArgs {
  model: Model;
  networkName: pulumi.Input<string>;
  internal: pulumi.Input<InternalAddresses>;
}

export interface ConfidentialServiceArgs extends NodeServiceArgs {
  secrets: SecretOutputs;
}

export interface BuiltinAuthorizationServerArgs extends ConfidentialServiceArgs {
  /** Its database; the container starts once the database exists. */
  database: DatabaseAccess;
  /** The mail relay's password (a secret), when it needs one. */
  smtpPassword?: pulumi.Input<string>;
}

/** The image and container of one service, parented to its component. */
function deployService(
  parent: pulumi.ComponentResource,
  name: string,
  service: ServiceName,
  alias: string,
  port: number,
  args: NodeServiceArgs,
  env: pulumi.Output<Env>,
): { image: docker.Image; container: docker.Container } {
  const image = new docker.Image(
    `${name}-image`,
    {
      imageName: `mcp-secured-api/${service}:${pulumi.getStack()}`,
      build: {
        context: REPO_ROOT,
        dockerfile: SERVICES_DOCKERFILE,
        args: { SERVICE: service, NODE_IMAGE: args.model.images.node },
      },
      skipPush: true,
    },
    { parent },
  );
  const container = new docker.Container(
    name,
    {
      // The image id: a rebuilt image replaces the container.
      image: image.repoDigest,
      envs: env.apply(envList),
      networksAdvanced: onNetwork(args.networkName, alias),
      healthcheck: httpHealthcheck(`http://127.0.0.1:${port}/health`),
      // A small init process forwards signals to Node and reaps children.
      init: true,
      ...RUNNING,
    },
    { parent },
  );
  return { image, container };
}

export class StocksApi extends pulumi.ComponentResource {
  readonly url = `http://${ALIASES.stocksApi}:${PORTS.stocksApi}`;
  readonly container: docker.Container;

  constructor(name: string, args: NodeServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:StocksApi', name, {}, opts);
    const env = pulumi.output(args.internal).apply((internal) => stocksApiEnv(args.model, internal, PORTS.stocksApi));
    ({ container: this.container } = deployService(this, name, 'stocks-api', ALIASES.stocksApi, PORTS.stocksApi, args, env));
    this.registerOutputs({ url: this.url });
  }
}

export class McpServer extends pulumi.ComponentResource {
  readonly url = `http://${ALIASES.mcpServer}:${PORTS.mcpServer}`;
  readonly container: docker.Container;

  constructor(name: string, args: ConfidentialServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:McpServer', name, {}, opts);
    const env = pulumi
      .all([args.internal, args.secrets.mcpClientSecret])
      .apply(([internal, mcpClientSecret]) => mcpServerEnv(args.model, internal, { mcpClientSecret }, PORTS.mcpServer));
    ({ container: this.container } = deployService(this, name, 'mcp-server', ALIASES.mcpServer, PORTS.mcpServer, args, pulumi.secret(env)));
    this.registerOutputs({ url: this.url });
  }
}

/** The authorization server used when no Curity licence is configured. */
export class BuiltinAuthorizationServer extends pulumi.ComponentResource {
  readonly url = `http://${ALIASES.authorizationServer}:${PORTS.authorizationServer}`;
  readonly container: docker.Container;

  constructor(name: string, args: BuiltinAuthorizationServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:BuiltinAuthorizationServer', name, {}, opts);
    const { gatewayClientSecret, mcpClientSecret, cookieSecret, keyEncryptionKey } = args.secrets;
    const env = pulumi
      .all([args.internal, gatewayClientSecret, mcpClientSecret, cookieSecret, keyEncryptionKey, args.database.url, args.smtpPassword])
      .apply(([internal, gateway, mcp, cookie, kek, databaseUrl, smtpPassword]) =>
        authorizationServerEnv(
          args.model,
          smtpPassword ? { ...internal, smtp: { ...internal.smtp, password: smtpPassword } } : internal,
          { gatewayClientSecret: gateway, mcpClientSecret: mcp, cookieSecret: cookie, keyEncryptionKey: kek },
          PORTS.authorizationServer,
          { databaseUrl, trustedProxies: DOCKER_TRUSTED_PROXIES },
        ),
      );
    ({ container: this.container } = deployService(
      this,
      name,
      'authorization-server',
      ALIASES.authorizationServer,
      PORTS.authorizationServer,
      args,
      pulumi.secret(env),
    ));
    this.registerOutputs({ url: this.url });
  }
}
