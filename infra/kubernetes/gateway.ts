/**
 * The API gateway: Kong, DB-less, with Curity's phantom-token plugin, reading the declarative
 * configuration generated from the model from a Secret (it holds the gateway's client secret). The
 * only part reachable from outside the namespace: a LoadBalancer Service, or an Ingress of the
 * configured class in front of a ClusterIP Service.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { gatewayEnv } from '../environments.ts';
import type { HostName, Model } from '../model.ts';
import { digest, splitEnvironment } from './environment.ts';
import { imageVersion } from './images.ts';
import { GATEWAY_PODS, PARTS, partLabels, PORTS, selectorLabels } from './names.ts';
import { IMAGE_USERS, resources, probes, scratch } from './pod.ts';
import { deployWorkload, type Workload } from './workload.ts';

/** Paths inside the Kong container. */
export const KONG_PATHS = {
  config: '/kong/declarative/kong.yml',
  tlsDirectory: '/kong/tls',
  /** Kong writes its nginx configuration and sockets here: the root filesystem is read-only. */
  prefix: '/kong_prefix',
} as const;

export interface KongGatewayArgs {
  model: Model;
  namespace: pulumi.Input<string>;
  image: string;
  /** The declarative configuration (YAML), a secret. */
  configYaml: pulumi.Input<string>;
  /** The public hosts the gateway serves. */
  hosts: HostName[];
  /** A kubernetes.io/tls Secret for the public hosts (https only). */
  tlsSecretName?: pulumi.Input<string>;
}

/** How the gateway is reached: TLS at the Ingress controller, or at Kong behind a LoadBalancer. */
export function gatewayExposure(model: Model): { ingress: boolean; kongTls: boolean; servicePort: number; containerPort: number } {
  const https = model.config.scheme === 'https';
  const ingress = model.config.kubernetes.ingressClassName !== undefined;
  const kongTls = https && !ingress;
  return { ingress, kongTls, servicePort: kongTls ? 443 : 80, containerPort: kongTls ? PORTS.kongHttps : PORTS.kongHttp };
}

export class KongGateway extends pulumi.ComponentResource {
  readonly workload: Workload;
  readonly service: k8s.core.v1.Service;
  readonly ingress?: k8s.networking.v1.Ingress;
  /** Where the public hosts must resolve: the load balancer's (or the Ingress's) IP address or name. */
  readonly publicAddress: pulumi.Output<string | undefined>;

  constructor(name: string, args: KongGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:kubernetes:KongGateway', name, {}, opts);
    const { model, namespace } = args;
    const k = model.config.kubernetes;
    const part = PARTS.gateway;
    const version = imageVersion(args.image);
    const labels = partLabels(part, version);
    const exposure = gatewayExposure(model);
    if (model.config.scheme === 'https' && !args.tlsSecretName)
      throw new Error('KongGateway: the scheme is https but no TLS Secret was given');

    const configSecret = new k8s.core.v1.Secret(
      `${name}-config`,
      {
        metadata: { name: `${part}-config`, namespace, labels },
        type: 'Opaque',
        stringData: { 'kong.yml': pulumi.secret(args.configYaml) },
      },
      { parent: this },
    );

    const prefix = scratch('prefix', KONG_PATHS.prefix);
    const tmp = scratch('tmp', '/tmp');
    const tls =
      exposure.kongTls && args.tlsSecretName
        ? { certificate: `${KONG_PATHS.tlsDirectory}/tls.crt`, privateKey: `${KONG_PATHS.tlsDirectory}/tls.key` }
        : undefined;
    const env = gatewayEnv({
      configPath: KONG_PATHS.config,
      port: exposure.containerPort,
      statusPort: PORTS.kongStatus,
      prefix: KONG_PATHS.prefix,
      // One worker per CPU of the container's limit, not of the node.
      workerProcesses: Math.max(1, Math.floor(cpuCores(k.resources.gateway.limits.cpu))),
      ...(tls ? { tls } : {}),
    });

    this.workload = deployWorkload(this, name, {
      namespace,
      part,
      version,
      replicas: k.replicas.gateway,
      user: IMAGE_USERS.kong,
      readOnlyRootFilesystem: true,
      environment: splitEnvironment(() => env, {}, `${part}-env`),
      container: {
        image: args.image,
        ports: [
          { name: 'proxy', containerPort: exposure.containerPort, protocol: 'TCP' },
          { name: 'status', containerPort: PORTS.kongStatus, protocol: 'TCP' },
        ],
        resources: resources(k.resources.gateway),
        volumeMounts: [
          { name: 'config', mountPath: KONG_PATHS.config, subPath: 'kong.yml', readOnly: true },
          ...(tls ? [{ name: 'tls', mountPath: KONG_PATHS.tlsDirectory, readOnly: true }] : []),
          prefix.mount,
          tmp.mount,
        ],
        // Ready once the declarative configuration is loaded; alive while the status API answers.
        readinessProbe: probes({ httpGet: { path: '/status/ready', port: PORTS.kongStatus } }).readinessProbe,
        livenessProbe: probes({ httpGet: { path: '/status', port: PORTS.kongStatus } }).livenessProbe,
      },
      volumes: [
        { name: 'config', secret: { secretName: configSecret.metadata.name, defaultMode: 0o440 } },
        ...(tls && args.tlsSecretName ? [{ name: 'tls', secret: { secretName: args.tlsSecretName, defaultMode: 0o440 } }] : []),
        prefix.volume,
        tmp.volume,
      ],
      servicePorts: [],
      imagePullSecrets: k.imagePullSecrets,
      // Kong reads its file at start: a new file (or certificate) rolls the pods.
      checksums: [
        pulumi.secret(pulumi.output(args.configYaml).apply((yaml) => digest({ yaml }))),
        ...(tls && args.tlsSecretName ? [pulumi.output(args.tlsSecretName)] : []),
      ],
      dependsOn: [configSecret],
    });

    const servicePort = {
      name: exposure.kongTls ? 'https' : 'http',
      port: exposure.servicePort,
      targetPort: exposure.containerPort,
      protocol: 'TCP',
    };
    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: part, namespace, labels },
        spec: exposure.ingress
          ? { type: 'ClusterIP', selector: selectorLabels(part), ports: [servicePort] }
          : {
              type: 'LoadBalancer',
              selector: selectorLabels(part),
              ports: [servicePort],
              // Keeps the client's address, which the authorization server's per-address limits use.
              externalTrafficPolicy: 'Local',
            },
      },
      { parent: this },
    );

    // Headless: its name resolves to the gateway pods' own addresses (not-ready ones too, so a pod is
    // known before it serves), which the authorization server trusts for X-Forwarded-For.
    new k8s.core.v1.Service(
      `${name}-pods`,
      {
        metadata: { name: GATEWAY_PODS, namespace, labels },
        spec: {
          clusterIP: 'None',
          publishNotReadyAddresses: true,
          selector: selectorLabels(part),
          ports: [{ name: servicePort.name, port: exposure.containerPort, targetPort: exposure.containerPort, protocol: 'TCP' }],
        },
      },
      { parent: this },
    );

    const hostnames = args.hosts.map((h) => model.hosts[h]);
    if (exposure.ingress) {
      this.ingress = new k8s.networking.v1.Ingress(
        `${name}-ingress`,
        {
          metadata: { name: part, namespace, labels },
          spec: {
            ingressClassName: k.ingressClassName!,
            ...(model.config.scheme === 'https' && args.tlsSecretName
              ? { tls: [{ hosts: hostnames, secretName: args.tlsSecretName }] }
              : {}),
            rules: hostnames.map((host) => ({
              host,
              http: {
                paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: part, port: { name: servicePort.name } } } }],
              },
            })),
          },
        },
        { parent: this, dependsOn: [this.service] },
      );
    }
    const status = this.ingress ? this.ingress.status.loadBalancer : this.service.status.loadBalancer;
    this.publicAddress = status.apply((s) => s?.ingress?.[0]?.ip ?? s?.ingress?.[0]?.hostname ?? undefined);
    this.registerOutputs({ publicAddress: this.publicAddress });
  }
}

/** `1`, `1.5` or `1500m` as cores. */
export function cpuCores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}
