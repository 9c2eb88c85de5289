/**
 * The whole deployment on Docker: network, secrets, certificate, mail inbox, authorization server
 * (built-in or Curity), stocks API, MCP server and the gateway in front of them.
 */
import * as pulumi from '@pulumi/pulumi';
import { protectedResourceMetadataUrl } from '@mcp-secured-api/contracts';
import { kongConfigYaml } from '../kong/generate.ts';
import type { Model } from '../model.ts';
import { DATABASES } from '../postgres.ts';
import {
  BUILTIN_AUTHORIZATION_SERVER,
  dockerInternalAddresses,
  dockerUpstreams,
  etcHostsLine,
  servedHosts,
  type AuthorizationServerAddresses,
} from './addresses.ts';
import { CurityServer } from './curity.ts';
import { KongGateway } from './kong.ts';
import { Maildev } from './maildev.ts';
import { StackNetwork } from './network.ts';
import { BuiltinAuthorizationServer, McpServer, StocksApi } from './node-services.ts';
import { PostgresServer } from './postgres.ts';
import { StackSecrets } from './secrets.ts';
import { PublicCertificate } from './tls.ts';

export interface McpSecuredApiStackArgs {
  model: Model;
  /** Curity's licence, a Pulumi secret; required when the model's authorization server is Curity. */
  curityLicenseKey?: pulumi.Input<string>;
}

/** Public URLs users and clients need. */
export interface PublicEndpoints {
  mcpServer: string;
  resourceMetadata: string;
  stocksApi: string;
  issuer: string;
  authorizationServerMetadata: string;
  mailInbox: string;
  adminUi?: string;
}

export function publicEndpoints(model: Model): PublicEndpoints {
  return {
    mcpServer: model.mcpResource,
    resourceMetadata: protectedResourceMetadataUrl(model.mcpResource).href,
    stocksApi: `${model.origins.api}/stocks`,
    issuer: model.issuer,
    authorizationServerMetadata: model.endpoints.metadata,
    mailInbox: `${model.origins.mail}/`,
    ...(model.config.authorizationServer === 'curity' ? { adminUi: `${model.origins.admin}/admin` } : {}),
  };
}

export class McpSecuredApiStack extends pulumi.ComponentResource {
  readonly endpoints: PublicEndpoints;
  /** Add to /etc/hosts so the public hosts reach the gateway on this machine. */
  readonly hostsLine: string;
  /** The CA to trust (https only). */
  readonly caCertificate: pulumi.Output<string | undefined>;
  readonly adminPassword: pulumi.Output<string>;
  readonly networkName: pulumi.Output<string>;

  constructor(name: string, args: McpSecuredApiStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:docker:Stack', name, {}, opts);
    const { model } = args;
    const parent = { parent: this };

    const networkName = new StackNetwork(`${name}-network`, parent).name;
    const secrets = new StackSecrets(`${name}-secrets`, parent).values;
    const maildev = new Maildev(`${name}-maildev`, { model, networkName }, parent);

    let curity: CurityServer | undefined;
    if (model.config.authorizationServer === 'curity') {
      if (!args.curityLicenseKey) throw new Error('McpSecuredApiStack: Curity runs but no licence was given');
      curity = new CurityServer(
        `${name}-curity`,
        { model, networkName, secrets, licenseKey: args.curityLicenseKey, smtp: maildev.smtp },
        parent,
      );
    }
    const authorizationServerAddresses: pulumi.Output<AuthorizationServerAddresses> = curity
      ? pulumi.all([curity.runtimeUrl, curity.adminUrl]).apply(([runtime, admin]) => ({ runtime, admin }))
      : pulumi.output(BUILTIN_AUTHORIZATION_SERVER);
    const internal = authorizationServerAddresses.apply(dockerInternalAddresses);
    let authorizationServer: pulumi.ComponentResource;
    if (curity) {
      authorizationServer = curity;
    } else {
      const postgres = new PostgresServer(`${name}-postgres`, { model, networkName, databases: [DATABASES.authorizationServer] }, parent);
      authorizationServer = new BuiltinAuthorizationServer(
        `${name}-authorization-server`,
        { model, networkName, internal, secrets, database: postgres.access(DATABASES.authorizationServer) },
        parent,
      );
    }
    const stocksApi = new StocksApi(`${name}-stocks-api`, { model, networkName, internal }, parent);
    const mcpServer = new McpServer(`${name}-mcp-server`, { model, networkName, internal, secrets }, parent);

    const certificate =
      model.config.scheme === 'https'
        ? new PublicCertificate(
            `${name}-tls`,
            { domain: model.config.domain, hosts: servedHosts(model).map((h) => model.hosts[h]) },
            parent,
          )
        : undefined;
    const configYaml = pulumi
      .all([authorizationServerAddresses, secrets.gatewayClientSecret])
      .apply(([as, gatewayClientSecret]) => kongConfigYaml(model, dockerUpstreams(as), { gatewayClientSecret }));
    new KongGateway(
      `${name}-gateway`,
      {
        model,
        networkName,
        configYaml: pulumi.secret(configYaml),
        ...(certificate ? { tls: { certificatePem: certificate.certificatePem, privateKeyPem: certificate.privateKeyPem } } : {}),
      },
      // Started last, so the first requests find the services ready.
      { parent: this, dependsOn: [authorizationServer, stocksApi, mcpServer, maildev] },
    );

    this.endpoints = publicEndpoints(model);
    this.hostsLine = etcHostsLine(model);
    this.caCertificate = certificate ? certificate.caCertificatePem : pulumi.output(undefined);
    this.adminPassword = secrets.adminPassword;
    this.networkName = networkName;
    this.registerOutputs({
      endpoints: this.endpoints,
      hostsLine: this.hostsLine,
      caCertificate: this.caCertificate,
      adminPassword: this.adminPassword,
    });
  }
}
