/**
 * The whole deployment on Docker: network, secrets, certificate, mail inbox, authorization server
 * (built-in or Curity), stocks API, MCP server and the gateway in front of them.
 */
import * as pulumi from '@pulumi/pulumi';
import { publicEndpoints, type PublicEndpoints } from '../endpoints.ts';
import { kongConfigYaml } from '../kong/generate.ts';
import type { Model } from '../model.ts';
import { DATABASES } from '../postgres.ts';
import {
  BUILTIN_AUTHORIZATION_SERVER,
  dockerInternalAddresses,
  dockerMailServer,
  dockerUpstreams,
  etcHostsLine,
  servedHosts,
  type AuthorizationServerAddresses,
} from './addresses.ts';
import { CurityServer } from './curity.ts';
import { KongGateway } from './kong.ts';
import { relayPassword } from '../mail.ts';
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
  /** The mail relay's password, a Pulumi secret (used when no inbox runs). */
  smtpPassword?: pulumi.Input<string>;
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
    const maildev = model.config.mailInbox ? new Maildev(`${name}-maildev`, { model, networkName }, parent) : undefined;

    // One PostgreSQL server, with the database of whichever authorization server runs.
    const database = model.config.authorizationServer === 'curity' ? DATABASES.curity : DATABASES.authorizationServer;
    const postgres = new PostgresServer(`${name}-postgres`, { model, networkName, databases: [database] }, parent);

    let curity: CurityServer | undefined;
    if (model.config.authorizationServer === 'curity') {
      if (!args.curityLicenseKey) throw new Error('McpSecuredApiStack: Curity runs but no licence was given');
      curity = new CurityServer(
        `${name}-curity`,
        {
          model,
          networkName,
          secrets,
          licenseKey: args.curityLicenseKey,
          smtp: dockerMailServer(model),
          database: postgres.access(DATABASES.curity),
        },
        parent,
      );
    }
    const authorizationServerAddresses: pulumi.Output<AuthorizationServerAddresses> = curity
      ? pulumi.all([curity.runtimeUrl, curity.adminUrl]).apply(([runtime, admin]) => ({ runtime, admin }))
      : pulumi.output(BUILTIN_AUTHORIZATION_SERVER);
    const internal = authorizationServerAddresses.apply((as) => dockerInternalAddresses(model, as));
    let authorizationServer: pulumi.ComponentResource;
    if (curity) {
      authorizationServer = curity;
    } else {
      authorizationServer = new BuiltinAuthorizationServer(
        `${name}-authorization-server`,
        {
          model,
          networkName,
          internal,
          secrets,
          database: postgres.access(DATABASES.authorizationServer),
          ...relayPassword(model, args.smtpPassword),
        },
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
      .all([authorizationServerAddresses, secrets.gatewayClientSecret, maildev?.webUrl])
      .apply(([as, gatewayClientSecret, mail]) => kongConfigYaml(model, dockerUpstreams(as, mail), { gatewayClientSecret }));
    new KongGateway(
      `${name}-gateway`,
      {
        model,
        networkName,
        configYaml: pulumi.secret(configYaml),
        ...(certificate ? { tls: { certificatePem: certificate.certificatePem, privateKeyPem: certificate.privateKeyPem } } : {}),
      },
      // Started last, so the first requests find the services ready.
      { parent: this, dependsOn: [authorizationServer, stocksApi, mcpServer, ...(maildev ? [maildev] : [])] },
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
