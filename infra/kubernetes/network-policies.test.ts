import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, parseStackConfig, type StackConfigInput } from '../model.ts';
import { deepPlain, installMocks, settled, type RecordedResource } from '../../test/support/pulumi-mocks.ts';
import { connectionAllowed, type Endpoint, type Policy } from '../../test/support/network-policy-evaluator.ts';

const dev: StackConfigInput = {
  domain: 'demo.example',
  scope: 'stocks/read',
  users: [{ email: 'john.doe@demo.example', region: 'USA' }],
  target: 'kubernetes',
  kubernetes: { imageRegistry: 'registry.example.com/mcp', imageTag: '1.2.3' },
};

let recorded: RecordedResource[];
let Stack: typeof import('./stack.ts').KubernetesStack;
before(async () => {
  recorded = await installMocks();
  Stack = (await import('./stack.ts')).KubernetesStack;
});

const NAMESPACE = 'mcp-secured-api';
/** Every port any part listens on or calls, with its protocol. */
const PORTS: [number, string][] = [
  [53, 'UDP'],
  [53, 'TCP'],
  [443, 'TCP'],
  [587, 'TCP'],
  [1025, 'TCP'],
  [1080, 'TCP'],
  [3000, 'TCP'],
  [4465, 'TCP'],
  [5432, 'TCP'],
  [6543, 'TCP'],
  [6749, 'TCP'],
  [8000, 'TCP'],
  [8100, 'TCP'],
  [8443, 'TCP'],
];
/** Endpoints that are not our pods: the public side, the cluster's DNS, a neighbour namespace, private addresses. */
const OTHERS: Endpoint[] = [
  { name: 'internet', ip: '203.0.113.50' },
  { name: 'cloud-metadata', ip: '169.254.169.254' },
  { name: 'private-host', ip: '10.0.0.5' },
  // A relay and a database in the cloud network around the cluster.
  { name: 'relay', ip: '10.20.0.25' },
  { name: 'database', ip: '10.20.0.40' },
  {
    name: 'kube-dns',
    ip: '10.244.9.9',
    pod: { namespace: 'kube-system', namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' }, labels: { 'k8s-app': 'kube-dns' } },
  },
  // Labelled like our MCP server, in another namespace: namespaces separate them.
  {
    name: 'other-namespace',
    ip: '10.244.8.8',
    pod: {
      namespace: 'other',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'other' },
      labels: { 'app.kubernetes.io/name': 'mcp-server', 'app.kubernetes.io/part-of': 'mcp-secured-api' },
    },
  },
];

/** Every connection the deployment's NetworkPolicies let through, as `from -> to:port/protocol`. */
async function allowedFlows(name: string, change: Partial<StackConfigInput> = {}, licence?: string): Promise<string[]> {
  const model = buildModel(
    parseStackConfig({ ...dev, ...change, kubernetes: { ...(dev.kubernetes as object), ...(change.kubernetes as object) } }),
  );
  new Stack(name, { model, ...(licence ? { curityLicenseKey: licence } : {}) });
  await settled();
  const objects = recorded
    .filter((r) => r.name.startsWith(`${name}-`) && r.type.startsWith('kubernetes:'))
    .map((r) => deepPlain<{ kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> }>(r.inputs));
  const policies: Policy[] = objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .map((o) => ({ namespace: o.metadata.namespace, name: o.metadata.name, spec: o.spec as unknown as Policy['spec'] }));
  const pods: Endpoint[] = objects
    .filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))
    .map((o, i) => ({
      name: o.metadata.name,
      ip: `10.244.0.${i + 10}`,
      pod: {
        namespace: o.metadata.namespace,
        namespaceLabels: { 'kubernetes.io/metadata.name': o.metadata.namespace },
        labels: (o.spec['template'] as { metadata: { labels: Record<string, string> } }).metadata.labels,
      },
    }));
  assert.ok(pods.every((p) => p.pod!.namespace === NAMESPACE));
  const endpoints = [...pods, ...OTHERS];
  const flows: string[] = [];
  for (const from of endpoints) {
    for (const to of endpoints) {
      if (from === to || (from.pod?.namespace !== NAMESPACE && to.pod?.namespace !== NAMESPACE)) continue;
      for (const [port, protocol] of PORTS) {
        if (connectionAllowed(policies, from, to, port, protocol)) flows.push(`${from.name} -> ${to.name}:${port}/${protocol}`);
      }
    }
  }
  return flows.sort();
}

const dns = (...parts: string[]) => parts.flatMap((p) => [`${p} -> kube-dns:53/TCP`, `${p} -> kube-dns:53/UDP`]);
/** The gateway is public: any address, any pod of another namespace, reaches its proxy port, and nothing else of ours. */
const public_ = (port: number) => OTHERS.map((o) => `${o.name} -> gateway:${port}/TCP`);

test('built-in authorization server: exactly the flows of the system, nothing else', async () => {
  assert.deepEqual(
    await allowedFlows('builtin'),
    [
      // Only the gateway is reachable, from anywhere, on its proxy port.
      ...public_(8443),
      'gateway -> mcp-server:3000/TCP',
      'gateway -> stocks-api:3000/TCP',
      'gateway -> authorization-server:8443/TCP',
      'gateway -> maildev:1080/TCP',
      'mcp-server -> authorization-server:8443/TCP',
      'mcp-server -> stocks-api:3000/TCP',
      // The API verifies tokens against the authorization server's key set.
      'stocks-api -> authorization-server:8443/TCP',
      'authorization-server -> postgres:5432/TCP',
      'postgres-init -> postgres:5432/TCP',
      // One-time codes, and Client ID Metadata Documents from public HTTPS hosts (never private or link-local ones).
      'authorization-server -> maildev:1025/TCP',
      'authorization-server -> internet:443/TCP',
      ...dns('gateway', 'mcp-server', 'stocks-api', 'authorization-server', 'postgres-init'),
    ].sort(),
  );
});

test('Curity: the same flows to Curity, its admin UI through the gateway, and its init Job to the database', async () => {
  assert.deepEqual(
    await allowedFlows('curity', { curityLicenseKey: 'l' }, 'l'),
    [
      ...public_(8443),
      'gateway -> mcp-server:3000/TCP',
      'gateway -> stocks-api:3000/TCP',
      'gateway -> curity:8443/TCP',
      'gateway -> curity:6749/TCP',
      'gateway -> maildev:1080/TCP',
      'mcp-server -> curity:8443/TCP',
      'mcp-server -> stocks-api:3000/TCP',
      'stocks-api -> curity:8443/TCP',
      'curity -> postgres:5432/TCP',
      'curity-init -> postgres:5432/TCP',
      'postgres-init -> postgres:5432/TCP',
      'curity -> maildev:1025/TCP',
      'curity -> internet:443/TCP',
      ...dns('gateway', 'mcp-server', 'stocks-api', 'curity', 'curity-init', 'postgres-init'),
    ].sort(),
  );
});

test('a mail relay and a database outside the cluster, at fixed addresses, behind an Ingress', async () => {
  assert.deepEqual(
    await allowedFlows('outside', {
      smtp: { host: '10.20.0.25', port: 587 },
      mailInbox: false,
      kubernetes: { databaseUrl: 'postgresql://app:pw@10.20.0.40:6543/mcp', ingressClassName: 'nginx' },
    }),
    [
      // Behind an Ingress, Kong serves plain HTTP to the controller.
      ...public_(8000),
      'gateway -> mcp-server:3000/TCP',
      'gateway -> stocks-api:3000/TCP',
      'gateway -> authorization-server:8443/TCP',
      'mcp-server -> authorization-server:8443/TCP',
      'mcp-server -> stocks-api:3000/TCP',
      'stocks-api -> authorization-server:8443/TCP',
      'authorization-server -> database:6543/TCP',
      'authorization-server -> relay:587/TCP',
      'authorization-server -> internet:443/TCP',
      ...dns('gateway', 'mcp-server', 'stocks-api', 'authorization-server'),
    ].sort(),
  );
});

test('the evaluator: without policies everything passes, with a default deny nothing does', () => {
  const [a, b] = [OTHERS[5]!, OTHERS[6]!];
  assert.equal(connectionAllowed([], a, b, 443), true);
  const deny = (namespace: string): Policy => ({ namespace, name: 'deny', spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
  assert.equal(connectionAllowed([deny('kube-system')], a, b, 443), false, 'egress denied at the source');
  assert.equal(connectionAllowed([deny('other')], a, b, 443), false, 'ingress denied at the destination');
});
