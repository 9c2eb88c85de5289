/**
 * The whole deployment on Kubernetes, in the cluster of the current kubeconfig: a namespace that
 * enforces the restricted Pod Security Standard, generated secrets, PostgreSQL (or an existing
 * database), the mail inbox, the authorization server (built-in or Curity), the stocks API, the
 * MCP server and the gateway in front of them, with NetworkPolicies that allow only the flows the
 * system needs.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { isIP } from 'node:net';
import { servedHosts } from '../docker/addresses.ts';
import { PublicCertificate } from '../docker/tls.ts';
import { publicEndpoints, type PublicEndpoints } from '../endpoints.ts';
import { kongConfigYaml } from '../kong/generate.ts';
import { PROJECT, type Model } from '../model.ts';
import { DATABASES } from '../postgres.ts';
import { CurityServer } from './curity.ts';
import { KongGateway } from './gateway.ts';
import { kubernetesImages } from './images.ts';
import { relayPassword } from '../mail.ts';
import { Maildev } from './maildev.ts';
import { kubernetesUpstreams, PARTS } from './names.ts';
import { NetworkPolicies } from './network-policies.ts';
import { BuiltinAuthorizationServer, McpServer, StocksApi } from './node-services.ts';
import { Postgres } from './postgres.ts';
import { GeneratedSecrets } from './secrets.ts';

export interface KubernetesStackArgs {
  model: Model;
  /** Curity's licence, a Pulumi secret; required when the model's authorization server is Curity. */
  curityLicenseKey?: pulumi.Input<string>;
  /** The mail relay's password, a Pulumi secret. */
  smtpPassword?: pulumi.Input<string>;
}

/** The /etc/hosts line for the public hosts; a load balancer known by name needs DNS records instead. */
export function kubernetesHostsLine(hostnames: string[], address: string | undefined): string {
  const names = hostnames.join(' ');
  if (!address) return `# no address yet: when the load balancer has one, run pulumi up again, or add "<address> ${names}" to /etc/hosts`;
  if (isIP(address)) return `${address} ${names}`;
  return `# ${address} is a name: point ${names} at it with DNS records (CNAME)`;
}

export class KubernetesStack extends pulumi.ComponentResource {
  readonly endpoints: PublicEndpoints;
  /** The /etc/hosts line for the public hosts, once the load balancer has an address. */
  readonly hostsLine: pulumi.Output<string>;
  readonly publicAddress: pulumi.Output<string | undefined>;
  readonly caCertificate: pulumi.Output<string | undefined>;
  readonly adminPassword: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: KubernetesStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:kubernetes:Stack', name, {}, opts);
    const { model } = args;
    const k = model.config.kubernetes;
    const parent = { parent: this };
    const images = kubernetesImages(model);
    const hosts = servedHosts(model);

    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: k.namespace,
          labels: {
            'app.kubernetes.io/part-of': PROJECT,
            'app.kubernetes.io/managed-by': 'pulumi',
            // The API server refuses any pod that is not non-root, without privilege escalation and capabilities.
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/warn': 'restricted',
          },
        },
      },
      parent,
    );
    const namespace = ns.metadata.name;
    // The policies first, so no pod ever runs unprotected.
    const policies = new NetworkPolicies(`${name}-network-policies`, { model, namespace }, parent);
    const inNamespace = { parent: this, dependsOn: [policies] };
    const secrets = new GeneratedSecrets(`${name}-secrets`, parent).values;

    let database: pulumi.Output<string>;
    let postgres: Postgres | undefined;
    if (k.databaseUrl) {
      database = pulumi.secret(k.databaseUrl);
    } else {
      postgres = new Postgres(
        `${name}-postgres`,
        {
          model,
          namespace,
          image: images.postgres,
          superuserPassword: secrets.postgresPassword,
          database: model.config.authorizationServer === 'curity' ? DATABASES.curity : DATABASES.authorizationServer,
          password: secrets.databasePassword,
        },
        inNamespace,
      );
      database = postgres.url;
    }
    const maildev = model.config.mailInbox
      ? new Maildev(`${name}-maildev`, { model, namespace, image: images.maildev }, inNamespace)
      : undefined;

    let authorizationServer: pulumi.Resource;
    if (model.config.authorizationServer === 'curity') {
      if (!args.curityLicenseKey) throw new Error('KubernetesStack: Curity runs but no licence was given');
      authorizationServer = new CurityServer(
        `${name}-curity`,
        {
          model,
          namespace,
          image: images.curity,
          secrets,
          licenseKey: args.curityLicenseKey,
          databaseUrl: database,
          ...(postgres ? { dependsOn: [postgres] } : {}),
        },
        inNamespace,
      );
    } else {
      authorizationServer = new BuiltinAuthorizationServer(
        `${name}-authorization-server`,
        {
          model,
          namespace,
          image: images.authorizationServer,
          secrets,
          databaseUrl: database,
          ...relayPassword(model, args.smtpPassword),
        },
        { parent: this, dependsOn: [policies, ...(postgres ? [postgres] : [])] },
      );
    }
    const stocksApi = new StocksApi(`${name}-stocks-api`, { model, namespace, image: images.stocksApi }, inNamespace);
    const mcpServer = new McpServer(`${name}-mcp-server`, { model, namespace, image: images.mcpServer, secrets }, inNamespace);

    let tlsSecretName: pulumi.Input<string> | undefined;
    let certificate: PublicCertificate | undefined;
    if (model.config.scheme === 'https') {
      if (k.tlsSecretName) {
        tlsSecretName = k.tlsSecretName;
      } else {
        certificate = new PublicCertificate(
          `${name}-tls`,
          { domain: model.config.domain, hosts: hosts.map((h) => model.hosts[h]) },
          parent,
        );
        tlsSecretName = new k8s.core.v1.Secret(
          `${name}-tls-secret`,
          {
            metadata: { name: `${PARTS.gateway}-tls`, namespace, labels: { 'app.kubernetes.io/part-of': PROJECT } },
            type: 'kubernetes.io/tls',
            stringData: { 'tls.crt': certificate.certificatePem, 'tls.key': certificate.privateKeyPem },
          },
          parent,
        ).metadata.name;
      }
    }

    const configYaml = pulumi.secret(
      secrets.gatewayClientSecret.apply((gatewayClientSecret) =>
        kongConfigYaml(model, kubernetesUpstreams(model), { gatewayClientSecret }),
      ),
    );
    const gateway = new KongGateway(
      `${name}-gateway`,
      { model, namespace, image: images.gateway, configYaml, hosts, ...(tlsSecretName ? { tlsSecretName } : {}) },
      // Started last, so the first requests find the services ready.
      { parent: this, dependsOn: [policies, authorizationServer, stocksApi, mcpServer, ...(maildev ? [maildev] : [])] },
    );

    this.endpoints = publicEndpoints(model);
    this.publicAddress = gateway.publicAddress;
    this.hostsLine = gateway.publicAddress.apply((address) =>
      kubernetesHostsLine(
        hosts.map((h) => model.hosts[h]),
        address,
      ),
    );
    this.caCertificate = certificate ? certificate.caCertificatePem : pulumi.output(undefined);
    this.adminPassword = secrets.adminPassword;
    this.namespace = namespace;
    this.registerOutputs({
      endpoints: this.endpoints,
      hostsLine: this.hostsLine,
      publicAddress: this.publicAddress,
      caCertificate: this.caCertificate,
      adminPassword: this.adminPassword,
      namespace: this.namespace,
    });
  }
}
