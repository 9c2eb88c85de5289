/**
 * Least privilege on the network: every pod of the namespace is denied all traffic, in and out,
 * except the flows the system needs, each written once below and turned into NetworkPolicies
 * (an ingress policy on the receiving part and an egress policy on the sending part).
 *
 * Beyond the gateway → services → authorization server → database chain, the system needs: the
 * stocks API reaching the authorization server (it verifies tokens against its key set), the
 * authorization server reaching the mail server (one-time codes) and public HTTPS addresses (Client
 * ID Metadata Documents, fetched from the client's own host), and name resolution (kube-dns) for
 * every pod that calls another.
 */
import { isIP } from 'node:net';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT, type Model } from '../model.ts';
import { POSTGRES_PORT } from '../postgres.ts';
import { gatewayExposure } from './gateway.ts';
import { PARTS, PORTS, selectorLabels, smtpServer, type PartName } from './names.ts';

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** Addresses outside the cluster, by purpose. */
export type Outside = { kind: 'clients' } | { kind: 'kube-dns' } | { kind: 'addresses'; cidrs: { cidr: string; except?: string[] }[] };

export interface Flow {
  from: PartName | Outside;
  to: PartName | Outside;
  port: number;
  protocol: 'TCP' | 'UDP';
}

/** Private, loopback, link-local and shared address space: never a metadata document's host. */
export const NON_PUBLIC_IPV4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10'];
const NON_PUBLIC_IPV6 = ['fc00::/7', 'fe80::/10', '::1/128'];
const PUBLIC_INTERNET: Outside = {
  kind: 'addresses',
  cidrs: [
    { cidr: '0.0.0.0/0', except: NON_PUBLIC_IPV4 },
    { cidr: '::/0', except: NON_PUBLIC_IPV6 },
  ],
};

/** A host outside the cluster: exactly its address when it is one, else any address (names are not policy). */
export function outsideHost(host: string): Outside {
  const version = isIP(host);
  if (version === 4) return { kind: 'addresses', cidrs: [{ cidr: `${host}/32` }] };
  if (version === 6) return { kind: 'addresses', cidrs: [{ cidr: `${host}/128` }] };
  return { kind: 'addresses', cidrs: [{ cidr: '0.0.0.0/0' }, { cidr: '::/0' }] };
}

/** Every flow the deployment allows; nothing else gets through. */
export function networkFlows(model: Model): Flow[] {
  const k = model.config.kubernetes;
  const curity = model.config.authorizationServer === 'curity';
  const as: PartName = curity ? PARTS.curity : PARTS.authorizationServer;
  const asPort = curity ? PORTS.curityRuntime : PORTS.authorizationServer;
  const tcp = (from: Flow['from'], to: Flow['to'], port: number): Flow => ({ from, to, port, protocol: 'TCP' });

  const flows: Flow[] = [
    tcp({ kind: 'clients' }, PARTS.gateway, gatewayExposure(model).containerPort),
    tcp(PARTS.gateway, PARTS.mcpServer, PORTS.mcpServer),
    tcp(PARTS.gateway, PARTS.stocksApi, PORTS.stocksApi),
    tcp(PARTS.gateway, as, asPort),
    tcp(PARTS.mcpServer, as, asPort),
    tcp(PARTS.mcpServer, PARTS.stocksApi, PORTS.stocksApi),
    tcp(PARTS.stocksApi, as, asPort),
    tcp(as, PUBLIC_INTERNET, 443),
  ];
  if (curity) flows.push(tcp(PARTS.gateway, PARTS.curity, PORTS.curityAdmin));
  if (model.config.mailInbox) {
    flows.push(tcp(PARTS.gateway, PARTS.maildev, PORTS.maildevWeb), tcp(as, PARTS.maildev, PORTS.maildevSmtp));
  } else {
    const relay = smtpServer(model);
    flows.push(tcp(as, outsideHost(relay.host), relay.port));
  }
  const databaseClients: PartName[] = curity ? [PARTS.curity, PARTS.curityInit] : [PARTS.authorizationServer];
  for (const client of databaseClients) {
    if (k.databaseUrl) {
      const db = new URL(k.databaseUrl);
      flows.push(tcp(client, outsideHost(db.hostname.replace(/^\[|\]$/g, '')), Number(db.port || 5432)));
    } else {
      flows.push(tcp(client, PARTS.postgres, POSTGRES_PORT));
    }
  }
  // The Job that creates the application's database and role.
  if (!k.databaseUrl) flows.push(tcp(PARTS.postgresInit, PARTS.postgres, POSTGRES_PORT));
  const callers: PartName[] = [
    PARTS.gateway,
    PARTS.mcpServer,
    PARTS.stocksApi,
    ...databaseClients,
    ...(k.databaseUrl ? [] : [PARTS.postgresInit]),
  ];
  for (const caller of callers) {
    flows.push({ from: caller, to: { kind: 'kube-dns' }, port: 53, protocol: 'UDP' }, tcp(caller, { kind: 'kube-dns' }, 53));
  }
  return flows;
}

function peer(end: PartName | Outside): Peer[] | undefined {
  if (typeof end === 'string') return [{ podSelector: { matchLabels: selectorLabels(end) } }];
  switch (end.kind) {
    case 'clients':
      // Any source: the load balancer or Ingress controller in front, and through it the public.
      return undefined;
    case 'kube-dns':
      return [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ];
    case 'addresses':
      return end.cidrs.map((c) => ({ ipBlock: { cidr: c.cidr, ...(c.except ? { except: c.except } : {}) } }));
  }
}

/** The policies, by name: default deny, then one ingress and one egress policy per part that needs them. */
export function networkPolicySpecs(model: Model): Record<string, NetworkPolicySpec> {
  const flows = networkFlows(model);
  const specs: Record<string, NetworkPolicySpec> = {
    'default-deny': { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
  const parts = [...new Set(flows.flatMap((f) => [f.from, f.to]).filter((e): e is PartName => typeof e === 'string'))];
  for (const part of parts) {
    const inbound = flows.filter((f) => f.to === part);
    if (inbound.length) {
      specs[`${part}-ingress`] = {
        podSelector: { matchLabels: selectorLabels(part) },
        policyTypes: ['Ingress'],
        ingress: inbound.map((f) => {
          const from = peer(f.from);
          return { ...(from ? { from } : {}), ports: [{ port: f.port, protocol: f.protocol }] };
        }),
      };
    }
    const outbound = flows.filter((f) => f.from === part);
    if (outbound.length) {
      specs[`${part}-egress`] = {
        podSelector: { matchLabels: selectorLabels(part) },
        policyTypes: ['Egress'],
        egress: outbound.map((f) => {
          const to = peer(f.to);
          return { ...(to ? { to } : {}), ports: [{ port: f.port, protocol: f.protocol }] };
        }),
      };
    }
  }
  return specs;
}

export interface NetworkPoliciesArgs {
  model: Model;
  namespace: pulumi.Input<string>;
}

export class NetworkPolicies extends pulumi.ComponentResource {
  readonly policies: k8s.networking.v1.NetworkPolicy[];

  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mcp-secured-api:kubernetes:NetworkPolicies', name, {}, opts);
    this.policies = Object.entries(networkPolicySpecs(args.model)).map(
      ([policy, spec]) =>
        new k8s.networking.v1.NetworkPolicy(
          `${name}-${policy}`,
          {
            metadata: {
              name: policy,
              namespace: args.namespace,
              labels: { 'app.kubernetes.io/part-of': PROJECT, 'app.kubernetes.io/managed-by': 'pulumi' },
            },
            spec,
          },
          { parent: this },
        ),
    );
    this.registerOutputs({});
  }
}
