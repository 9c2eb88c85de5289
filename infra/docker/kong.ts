/**
 * The API gateway: Kong, DB-less, with Curity's phantom-token plugin, reading the configuration
 * generated from the model. The only container published on the host: 443 (https) or 80 (http).
 */
import { fileURLToPath } from 'node:url';
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import { gatewayEnv } from '../environments.ts';
import type { Model } from '../model.ts';
import { ALIASES, PORTS } from './addresses.ts';
import { envList, healthcheck, onNetwork, RUNNING } from './container.ts';

export const KONG_BUILD_CONTEXT = fileURLToPath(new URL('../kong/', import.meta.url));

/** Paths inside the Kong container. */
export const KONG_FILES = {
  config: '/usr/local/kong/declarative/kong.yml',
  certificate: '/usr/local/kong/tls/server.crt',
  privateKey: '/usr/local/kong/tls/server.key',
} as const;

/** The Dockerfile's build arguments: every version it installs, from versions.ts. */
export function kongBuildArgs(model: Model): Record<string, string> {
  return {
    KONG_IMAGE: model.images.kong,
    PHANTOM_TOKEN_VERSION: model.images.kongPhantomTokenPlugin,
    LUA_RESTY_JWT_VERSION: model.images.luaRestyJwt,
  };
}

export interface KongGatewayArgs {
  model: Model;
  networkName: pulumi.Input<string>;
  /** The declarative configuration (YAML); it holds the gateway's client secret, so a secret. */
  configYaml: pulumi.Input<string>;
  /** The certificate for the public hosts; required when the scheme is https. */
  tls?: { certificatePem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> };
}

export class KongGateway extends pulumi.ComponentResource {
  /** The port on this machine the public hosts resolve to (via /etc/hosts). */
  readonly publicPort: number;

  constructor(name: string, args: KongGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:KongGateway', name, {}, opts);
    const https = args.model.config.scheme === 'https';
    if (https && !args.tls) throw new Error('KongGateway: the scheme is https but no certificate was given');

    const image = new docker.Image(
      `${name}-image`,
      {
        imageName: `mcp-secured-api/kong:${pulumi.getStack()}`,
        build: {
          context: KONG_BUILD_CONTEXT,
          args: kongBuildArgs(args.model),
        },
        skipPush: true,
      },
      { parent: this },
    );

    const internalPort = https ? PORTS.kongHttps : PORTS.kongHttp;
    this.publicPort = https ? 443 : 80;
    const env = gatewayEnv({
      configPath: KONG_FILES.config,
      port: internalPort,
      ...(https ? { tls: { certificate: KONG_FILES.certificate, privateKey: KONG_FILES.privateKey } } : {}),
    });

    new docker.Container(
      name,
      {
        image: image.repoDigest,
        envs: envList(env),
        networksAdvanced: onNetwork(args.networkName, ALIASES.gateway),
        // Loopback only: the public hosts resolve to 127.0.0.1 through /etc/hosts.
        ports: [{ internal: internalPort, external: this.publicPort, ip: '127.0.0.1' }],
        uploads: [
          { file: KONG_FILES.config, content: pulumi.secret(args.configYaml) },
          ...(args.tls
            ? [
                { file: KONG_FILES.certificate, content: args.tls.certificatePem },
                { file: KONG_FILES.privateKey, content: pulumi.secret(args.tls.privateKeyPem) },
              ]
            : []),
        ],
        healthcheck: healthcheck('kong', 'health'),
        ...RUNNING,
      },
      { parent: this },
    );
    this.registerOutputs({ publicPort: this.publicPort });
  }
}
