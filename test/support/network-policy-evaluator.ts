/**
 * Test support: decides, as a cluster's network plugin would, whether NetworkPolicies allow a
 * connection from one endpoint to another on a port. It implements the rules of the
 * networking.k8s.io/v1 API for what our policies use (matchLabels selectors, namespace selectors,
 * ipBlocks with exceptions, numeric ports) and refuses anything else rather than guess.
 */
import { BlockList, isIPv4 } from 'node:net';

export interface Endpoint {
  /** A name for messages. */
  name: string;
  ip: string;
  /** Set for pods: their namespace and labels (namespaces carry `kubernetes.io/metadata.name`). */
  pod?: { namespace: string; namespaceLabels: Record<string, string>; labels: Record<string, string> };
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface PortRule {
  port?: number | string;
  protocol?: string;
  endPort?: number;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: PortRule[];
}
export interface Policy {
  namespace: string;
  name: string;
  spec: { podSelector: Selector; policyTypes?: string[]; ingress?: Rule[]; egress?: Rule[] };
}

function selects(selector: Selector, labels: Record<string, string>): boolean {
  if (selector.matchExpressions?.length) throw new Error('matchExpressions are not supported by this evaluator');
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function inBlock(ip: string, block: { cidr: string; except?: string[] }): boolean {
  const list = (cidrs: string[]) => {
    const b = new BlockList();
    for (const cidr of cidrs) {
      const [address, prefix] = cidr.split('/');
      b.addSubnet(address!, Number(prefix), isIPv4(address!) ? 'ipv4' : 'ipv6');
    }
    return b;
  };
  const family = isIPv4(ip) ? 'ipv4' : 'ipv6';
  const [address] = block.cidr.split('/');
  if ((isIPv4(address!) ? 'ipv4' : 'ipv6') !== family) return false;
  return list([block.cidr]).check(ip, family) && !list(block.except ?? []).check(ip, family);
}

/** Whether `peer`, written in a policy of `namespace`, matches `endpoint`. */
function peerMatches(peer: Peer, namespace: string, endpoint: Endpoint): boolean {
  if (peer.ipBlock) return inBlock(endpoint.ip, peer.ipBlock);
  const pod = endpoint.pod;
  if (!pod) return false;
  const namespaceOk = peer.namespaceSelector ? selects(peer.namespaceSelector, pod.namespaceLabels) : pod.namespace === namespace;
  const podOk = peer.podSelector ? selects(peer.podSelector, pod.labels) : true;
  return namespaceOk && podOk;
}

function portMatches(rules: PortRule[] | undefined, port: number, protocol: string): boolean {
  if (!rules?.length) return true;
  return rules.some((r) => {
    if ((r.protocol ?? 'TCP') !== protocol) return false;
    if (r.port === undefined) return true;
    if (typeof r.port !== 'number') throw new Error('named ports are not supported by this evaluator');
    return r.endPort ? port >= r.port && port <= r.endPort : port === r.port;
  });
}

function types(policy: Policy): string[] {
  return policy.spec.policyTypes ?? (policy.spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

/** Whether `direction` traffic of `self` with `other` is allowed by the policies that select `self`. */
function allowedAt(
  policies: Policy[],
  self: Endpoint,
  other: Endpoint,
  port: number,
  protocol: string,
  direction: 'Ingress' | 'Egress',
): boolean {
  const pod = self.pod;
  if (!pod) return true; // Addresses outside the cluster are not governed by NetworkPolicies.
  const selecting = policies.filter(
    (p) => p.namespace === pod.namespace && types(p).includes(direction) && selects(p.spec.podSelector, pod.labels),
  );
  if (!selecting.length) return true; // Not isolated in this direction.
  return selecting.some((p) =>
    (direction === 'Ingress' ? p.spec.ingress : p.spec.egress)?.some((rule) => {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      return (!peers || peers.some((peer) => peerMatches(peer, p.namespace, other))) && portMatches(rule.ports, port, protocol);
    }),
  );
}

/** Whether a connection from `source` to `destination` on `port` gets through. */
export function connectionAllowed(policies: Policy[], source: Endpoint, destination: Endpoint, port: number, protocol = 'TCP'): boolean {
  return (
    allowedAt(policies, source, destination, port, protocol, 'Egress') &&
    allowedAt(policies, destination, source, port, protocol, 'Ingress')
  );
}
