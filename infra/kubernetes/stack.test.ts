import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { generateCurityConfig } from '../curity/config.ts';
import { mcpServerEnv, stocksApiEnv } from '../environments.ts';
import { publicEndpoints } from '../endpoints.ts';
import { generateKongConfig } from '../kong/generate.ts';
import { buildModel, parseStackConfig, type StackConfigInput } from '../model.ts';
import { DATABASES, databaseInitScript } from '../postgres.ts';
import { IMAGES } from '../versions.ts';
import { curityInitStep, curityServerStart } from '../curity/commands.ts';
import { kubernetesInternalAddresses, kubernetesUpstreams, smtpServer } from './names.ts';
import { builtinAuthorizationServerEnv } from './node-services.ts';
import { deepPlain, installMocks, isSecretInput, resolve, settled, type RecordedResource } from '../../test/support/pulumi-mocks.ts';
import { validateKubernetesObject } from '../../test/support/kubernetes-schemas.ts';

const dev: StackConfigInput = {
  domain: 'demo.example',
  scope: 'stocks/read',
  users: [
    { email: 'john.doe@demo.example', region: 'USA' },
    { email: 'jane.test@demo.example', region: 'Europe' },
  ],
  target: 'kubernetes',
  kubernetes: { imageRegistry: 'registry.example.com/mcp', imageTag: '1.2.3' },
};

let recorded: RecordedResource[];
let Stack: typeof import('./stack.ts').KubernetesStack;
before(async () => {
  // Computed values follow the resource's name without its deployment's prefix, so two deployments
  // of different configurations differ only where the configuration makes them differ.
  recorded = await installMocks({ valueName: (name) => name.replace(/^[^-]+-/, '') });
  Stack = (await import('./stack.ts')).KubernetesStack;
});

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  type?: string;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  env?: EnvVar[];
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  command?: string[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[]; securityContext?: Record<string, unknown>; automountServiceAccountToken?: boolean; volumes?: unknown[] };
}

const secrets = (key: string) => `random-secrets-${key}`;

async function deploy(name: string, change: Partial<StackConfigInput> = {}, licence?: string, smtpPassword?: string) {
  const model = buildModel(
    parseStackConfig({ ...dev, ...change, kubernetes: { ...(dev.kubernetes as object), ...(change.kubernetes as object) } }),
  );
  const stack = new Stack(name, { model, ...(licence ? { curityLicenseKey: licence } : {}), ...(smtpPassword ? { smtpPassword } : {}) });
  await settled();
  const resources = recorded.filter((r) => r.name === name || r.name.startsWith(`${name}-`));
  const objects = resources.filter((r) => r.type.startsWith('kubernetes:')).map((r) => deepPlain<K8sObject>(r.inputs));
  const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const one = (kind: string, objectName: string) => {
    const found = ofKind(kind).filter((o) => o.metadata.name === objectName);
    assert.equal(found.length, 1, `one ${kind} ${objectName}`);
    return found[0]!;
  };
  const template = (o: K8sObject) => (o.spec as { template: PodTemplate }).template;
  const container = (kind: string, objectName: string) => template(one(kind, objectName)).spec.containers[0]!;
  /** A container's environment with every reference resolved against the deployment's Secrets. */
  const env = (kind: string, objectName: string) =>
    Object.fromEntries(
      (container(kind, objectName).env ?? []).map((e) => {
        if (e.value !== undefined) return [e.name, e.value];
        const ref = e.valueFrom!.secretKeyRef!;
        const value = one('Secret', ref.name).stringData?.[ref.key];
        assert.ok(value !== undefined, `${e.name}: Secret ${ref.name} has key ${ref.key}`);
        return [e.name, value];
      }),
    );
  const rawSecret = (objectName: string) =>
    resources.find((r) => r.type === 'kubernetes:core/v1:Secret' && deepPlain<K8sObject>(r.inputs).metadata.name === objectName)!;
  return { model, stack, resources, objects, ofKind, one, template, container, env, rawSecret };
}
type Deployment = Awaited<ReturnType<typeof deploy>>;

const names = (objects: K8sObject[]) => objects.map((o) => o.metadata.name).sort();
const workloads = (d: Deployment) => [...d.ofKind('Deployment'), ...d.ofKind('StatefulSet'), ...d.ofKind('Job')];

function checkGraph(d: Deployment) {
  assert.deepEqual(
    d.resources.filter((r) => r.type.startsWith('docker:')),
    [],
    'no Docker resources',
  );
  for (const o of d.objects) validateKubernetesObject(o);
  assert.ok(d.ofKind('Service').length >= 4, 'at least four Services');
  const mcp = d.one('Deployment', 'mcp-server');
  assert.ok((mcp.spec!['replicas'] as number) >= 2);
  const hpa = d.one('HorizontalPodAutoscaler', 'mcp-server');
  assert.deepEqual(hpa.spec!['scaleTargetRef'], { apiVersion: 'apps/v1', kind: 'Deployment', name: 'mcp-server' });
  assert.equal(hpa.spec!['minReplicas'], mcp.spec!['replicas']);
  // A budget for every replicated workload, selecting exactly its pods.
  const replicated = d.ofKind('Deployment').filter((o) => (o.spec!['replicas'] as number) > 1);
  assert.deepEqual(names(d.ofKind('PodDisruptionBudget')), names(replicated));
  for (const pdb of d.ofKind('PodDisruptionBudget')) {
    const deployment = d.one('Deployment', pdb.metadata.name);
    assert.deepEqual(pdb.spec!['selector'] as object, deployment.spec!['selector']);
    assert.equal(pdb.spec!['minAvailable'], 1);
  }
  assert.ok(d.ofKind('NetworkPolicy').some((p) => p.metadata.name === 'default-deny'));
  for (const o of d.objects.filter((x) => x.kind !== 'Namespace'))
    assert.equal(o.metadata.namespace, 'mcp-secured-api', `${o.kind} ${o.metadata.name}`);
}

test('built-in authorization server: every part as a valid object, scaled and guarded', async () => {
  const d = await deploy('builtin');
  checkGraph(d);
  assert.deepEqual(names(d.ofKind('Deployment')), ['authorization-server', 'gateway', 'maildev', 'mcp-server', 'stocks-api']);
  assert.deepEqual(names(d.ofKind('StatefulSet')), ['postgres']);
  assert.deepEqual(names(d.ofKind('Job')), ['postgres-init']);
  assert.equal(d.one('Deployment', 'authorization-server').spec!['replicas'], 2);
  assert.equal(d.one('Deployment', 'stocks-api').spec!['replicas'], 2);
  const images = Object.fromEntries(workloads(d).map((w) => [w.metadata.name, d.template(w).spec.containers[0]!.image]));
  assert.deepEqual(images, {
    'authorization-server': 'registry.example.com/mcp/authorization-server:1.2.3',
    gateway: 'registry.example.com/mcp/kong:1.2.3',
    maildev: IMAGES.maildev,
    'mcp-server': 'registry.example.com/mcp/mcp-server:1.2.3',
    'stocks-api': 'registry.example.com/mcp/stocks-api:1.2.3',
    postgres: IMAGES.postgres,
    'postgres-init': IMAGES.postgres,
  });
  const ns = d.one('Namespace', 'mcp-secured-api');
  assert.equal(ns.metadata.labels!['pod-security.kubernetes.io/enforce'], 'restricted');
  const pvc = (
    d.one('StatefulSet', 'postgres').spec!['volumeClaimTemplates'] as { spec: { resources: { requests: { storage: string } } } }[]
  )[0]!;
  assert.equal(pvc.spec.resources.requests.storage, '5Gi');
});

test('every container: probes, requests and limits, least privilege, app.kubernetes.io labels', async () => {
  for (const d of [await deploy('pods'), await deploy('podscurity', { curityLicenseKey: 'licence' }, 'licence')]) {
    for (const w of workloads(d)) {
      const t = d.template(w);
      const where = `${w.kind} ${w.metadata.name}`;
      assert.equal(t.spec.automountServiceAccountToken, false, where);
      assert.deepEqual(t.spec.securityContext?.['seccompProfile'], { type: 'RuntimeDefault' }, where);
      assert.equal(t.spec.securityContext?.['runAsNonRoot'], true, where);
      assert.ok((t.spec.securityContext?.['runAsUser'] as number) > 0, where);
      for (const label of ['name', 'part-of', 'component', 'version', 'managed-by']) {
        assert.ok(t.metadata.labels[`app.kubernetes.io/${label}`], `${where}: app.kubernetes.io/${label}`);
        assert.ok(w.metadata.labels![`app.kubernetes.io/${label}`], `${where}: app.kubernetes.io/${label}`);
      }
      for (const c of t.spec.containers) {
        // A one-off Job has nothing to probe: it runs to completion or fails.
        if (w.kind !== 'Job') {
          assert.ok(c.readinessProbe, `${where}: readiness probe`);
          assert.ok(c.livenessProbe, `${where}: liveness probe`);
        }
        assert.ok(c.resources?.requests?.['cpu'] && c.resources.requests['memory'], `${where}: requests`);
        assert.ok(c.resources?.limits?.['cpu'] && c.resources.limits['memory'], `${where}: limits`);
        assert.equal(c.securityContext?.['allowPrivilegeEscalation'], false, where);
        assert.equal(c.securityContext?.['privileged'], false, where);
        assert.deepEqual(c.securityContext?.['capabilities'], { drop: ['ALL'] }, where);
        // Curity writes below its installation directory; every other image runs read-only.
        assert.equal(c.securityContext?.['readOnlyRootFilesystem'], !c.image.startsWith('curity.azurecr.io/'), where);
      }
    }
    for (const deployment of d.ofKind('Deployment')) {
      assert.deepEqual(deployment.spec!['strategy'], { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    }
  }
});

test('secrets only by reference: every secret value lives in a Secret, and each service gets the environment it reads', async () => {
  const d = await deploy('refs');
  const values = ['gatewayClientSecret', 'mcpClientSecret', 'adminPassword', 'cookieSecret', 'keyEncryptionKey', 'postgresPassword'].map(
    secrets,
  );
  for (const o of d.objects.filter((x) => x.kind !== 'Secret')) {
    const text = JSON.stringify(o);
    for (const v of values) assert.ok(!text.includes(v), `${o.kind} ${o.metadata.name} holds no secret`);
    assert.ok(!text.includes('PRIVATE KEY'), `${o.kind} ${o.metadata.name} holds no private key`);
  }
  for (const s of d.ofKind('Secret'))
    assert.ok(isSecretInput(d.rawSecret(s.metadata.name).inputs['stringData']), `${s.metadata.name} is a Pulumi secret`);

  const model = d.model;
  const internal = kubernetesInternalAddresses(model);
  assert.deepEqual(d.env('Deployment', 'stocks-api'), stocksApiEnv(model, internal, 3000));
  assert.deepEqual(d.env('Deployment', 'mcp-server'), mcpServerEnv(model, internal, { mcpClientSecret: secrets('mcpClientSecret') }, 3000));
  const asEnv = d.env('Deployment', 'authorization-server');
  assert.deepEqual(
    asEnv,
    builtinAuthorizationServerEnv(model, {
      gatewayClientSecret: secrets('gatewayClientSecret'),
      mcpClientSecret: secrets('mcpClientSecret'),
      cookieSecret: secrets('cookieSecret'),
      keyEncryptionKey: secrets('keyEncryptionKey'),
      databaseUrl: `postgres://authorization_server:${secrets('databasePassword')}@postgres:5432/authorization_server`,
    }),
  );
  const refs = (name: string) =>
    (d.container('Deployment', name).env ?? [])
      .filter((e) => e.valueFrom)
      .map((e) => e.name)
      .sort();
  assert.deepEqual(refs('authorization-server'), [
    'COOKIE_SECRET',
    'DATABASE_URL',
    'GATEWAY_CLIENT_SECRET',
    'KEY_ENCRYPTION_KEY',
    'MCP_CLIENT_SECRET',
  ]);
  assert.deepEqual(refs('mcp-server'), ['CLIENT_SECRET']);
  assert.deepEqual(refs('stocks-api'), []);
  assert.equal(d.env('StatefulSet', 'postgres')['POSTGRES_PASSWORD'], secrets('postgresPassword'));
  // The application's database and role, created by the shared idempotent script.
  assert.deepEqual(d.env('Job', 'postgres-init'), {
    PGPASSWORD: secrets('postgresPassword'),
    DB_PASSWORD_AUTHORIZATION_SERVER: secrets('databasePassword'),
  });
  assert.equal(d.one('ConfigMap', 'postgres-init-script').data!['databases.sql'], databaseInitScript([DATABASES.authorizationServer]));
  assert.match(
    d.container('Job', 'postgres-init').command!.join(' '),
    /^psql -X -v ON_ERROR_STOP=1 -h postgres -U postgres -f \/init\/databases\.sql$/,
  );

  const kong = parse(d.one('Secret', 'gateway-config').stringData!['kong.yml']!);
  assert.deepEqual(kong, generateKongConfig(model, kubernetesUpstreams(model), { gatewayClientSecret: secrets('gatewayClientSecret') }));
  // Only the gateway's pods (found through a headless Service) are believed about X-Forwarded-For.
  assert.equal(asEnv['TRUSTED_PROXIES'], 'gateway-pods');
  const pods = d.one('Service', 'gateway-pods');
  assert.equal(pods.spec!['clusterIP'], 'None');
  assert.deepEqual(pods.spec!['selector'], d.one('Service', 'gateway').spec!['selector']);
});

test('Curity: the init Job and the server from the generated files, no built-in server', async () => {
  const d = await deploy('curity', { curityLicenseKey: 'LICENCE-TEXT' }, 'LICENCE-TEXT');
  checkGraph(d);
  assert.deepEqual(names(d.ofKind('Deployment')), ['curity', 'gateway', 'maildev', 'mcp-server', 'stocks-api']);
  assert.deepEqual(names(d.ofKind('Job')), ['curity-init', 'postgres-init']);
  assert.equal(d.one('ConfigMap', 'postgres-init-script').data!['databases.sql'], databaseInitScript([DATABASES.curity]));

  // The init step as infra/curity/ defines it: its command, its files, its environment.
  const initStep = curityInitStep(d.model);
  const job = d.container('Job', 'curity-init');
  assert.equal(job.image, IMAGES.curity);
  assert.deepEqual(job.command, initStep.command);
  assert.deepEqual(
    Object.values(d.one('ConfigMap', 'curity-init-files').data!),
    initStep.files.map((f) => f.content),
  );
  assert.deepEqual(
    job.volumeMounts!.map((m) => m.mountPath).filter((p) => p !== '/tmp'),
    initStep.files.map((f) => f.path),
  );
  const initEnv = d.env('Job', 'curity-init');
  assert.deepEqual(Object.keys(initEnv).sort(), [...initStep.environment].sort());
  assert.equal(initEnv['JDBC_URL'], 'jdbc:postgresql://postgres:5432/curity');
  assert.equal(initEnv['JDBC_USERNAME'], 'curity');
  assert.equal(initEnv['JDBC_PASSWORD'], secrets('databasePassword'));
  assert.match(initEnv['SIGNING_KEY_PEM']!, /BEGIN PRIVATE KEY/);

  // The server: the generated XML and procedures, every parameter from the Secret.
  const start = curityServerStart();
  const server = d.container('Deployment', 'curity');
  assert.deepEqual(server.command, start.command);
  const generated = generateCurityConfig(d.model, { smtp: smtpServer(d.model) });
  assert.deepEqual(Object.values(d.one('ConfigMap', 'curity-files').data!).sort(), generated.files.map((f) => f.content).sort());
  assert.deepEqual(server.volumeMounts!.map((m) => m.mountPath).sort(), generated.files.map((f) => f.path).sort());
  const env = d.env('Deployment', 'curity');
  for (const name of start.environment) assert.ok(env[name], `${name} is set, or Curity stops at start`);
  assert.equal(env['LICENSE_KEY'], 'LICENCE-TEXT');
  assert.equal(env['DB_CONNECTION'], 'jdbc:postgresql://postgres:5432/curity');
  assert.equal(env['DB_USER'], 'curity');
  assert.equal(env['DB_PASSWORD'], secrets('databasePassword'));
  for (const hashed of ['ADMIN_PASSWORD', 'GATEWAY_CLIENT_SECRET', 'MCP_CLIENT_SECRET']) assert.match(env[hashed]!, /^\$5\$/, hashed);
  assert.match(env['SYMMETRIC_KEY']!, /^[0-9a-f]{64}$/);
  const plainEnv = (server.env ?? [])
    .filter((e) => e.value !== undefined)
    .map((e) => e.name)
    .sort();
  assert.deepEqual(plainEnv, ['ADMIN', 'LOGGING_LEVEL']);
  for (const o of d.objects.filter((x) => x.kind !== 'Secret')) {
    const text = JSON.stringify(o);
    assert.ok(
      !text.includes('LICENCE-TEXT') && !text.includes('PRIVATE KEY') && !text.includes('random-secrets-'),
      `${o.kind} ${o.metadata.name}`,
    );
  }

  const kong = parse(d.one('Secret', 'gateway-config').stringData!['kong.yml']!);
  assert.ok(kong.services.some((s: { name: string; url: string }) => s.name === 'admin' && s.url === 'http://curity:6749'));
  assert.equal(d.stack.endpoints.adminUi, 'https://admin.demo.example/admin');
  assert.match(
    await value(d.stack.hostsLine),
    /^203\.0\.113\.10 api\.demo\.example mcp\.demo\.example login\.demo\.example admin\.demo\.example mail\.demo\.example$/,
  );
});

test('Curity: the signing key is of the kind tokenSigningAlgorithm needs, and Curity is told that algorithm', async () => {
  for (const [algorithm, key] of [
    ['ES256', { algorithm: 'ECDSA', ecdsaCurve: 'P256' }],
    ['EdDSA', { algorithm: 'ED25519' }],
    ['PS256', { algorithm: 'RSA', rsaBits: 2048 }],
  ] as const) {
    const d = await deploy(
      `key${algorithm.toLowerCase()}`,
      { curityLicenseKey: 'LICENCE-TEXT', tokenSigningAlgorithm: algorithm },
      'LICENCE-TEXT',
    );
    const keys = d.resources.filter((r) => r.type === 'tls:index/privateKey:PrivateKey' && r.name.endsWith('-signing-key'));
    assert.deepEqual(
      keys.map((r) => r.inputs),
      [key],
      algorithm,
    );
    const xml = Object.values(d.one('ConfigMap', 'curity-files').data!).find((f) => f.startsWith('<?xml'))!;
    assert.match(xml, new RegExp(`<algorithm>${algorithm}</algorithm>`), algorithm);
    assert.equal(d.env('Deployment', 'stocks-api')['JWT_ALGORITHMS'], algorithm, 'the API accepts it alone');
  }
});

const value = async <T>(o: import('@pulumi/pulumi').Output<T>) => (await resolve(o)).value;

test('https behind a LoadBalancer: Kong terminates TLS with the generated certificate; outputs name the address', async () => {
  const d = await deploy('lb');
  const service = d.one('Service', 'gateway');
  assert.equal(service.spec!['type'], 'LoadBalancer');
  assert.equal(service.spec!['externalTrafficPolicy'], 'Local');
  assert.deepEqual(service.spec!['ports'], [{ name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' }]);
  for (const s of d.ofKind('Service').filter((x) => x.metadata.name !== 'gateway'))
    assert.notEqual(s.spec!['type'], 'LoadBalancer', 'only the gateway is exposed');
  assert.deepEqual(d.ofKind('Ingress'), []);
  const tls = d.one('Secret', 'gateway-tls');
  assert.equal(tls.type, 'kubernetes.io/tls');
  assert.match(tls.stringData!['tls.key']!, /PRIVATE KEY/);
  const env = d.env('Deployment', 'gateway');
  assert.equal(env['KONG_PROXY_LISTEN'], '0.0.0.0:8443 http2 ssl');
  assert.equal(env['KONG_SSL_CERT'], '/kong/tls/tls.crt');
  assert.equal(env['KONG_STATUS_LISTEN'], '0.0.0.0:8100');
  assert.equal(env['KONG_DECLARATIVE_CONFIG'], '/kong/declarative/kong.yml');
  const request = d.resources.find((r) => r.type === 'tls:index/certRequest:CertRequest')!;
  assert.deepEqual(request.inputs['dnsNames'], ['api.demo.example', 'mcp.demo.example', 'login.demo.example', 'mail.demo.example']);
  assert.equal(await value(d.stack.hostsLine), '203.0.113.10 api.demo.example mcp.demo.example login.demo.example mail.demo.example');
  assert.match((await value(d.stack.caCertificate)) ?? '', /BEGIN CERTIFICATE/);
  // The same public URLs as the Docker target.
  assert.deepEqual(d.stack.endpoints, publicEndpoints(d.model));
  assert.equal((await resolve(d.stack.adminPassword)).secret, true);
});

test('an Ingress class: TLS from the named Secret at the Ingress, Kong plain behind a ClusterIP Service', async () => {
  const d = await deploy('ing', { kubernetes: { ingressClassName: 'nginx', tlsSecretName: 'company-tls' } });
  checkGraph(d);
  assert.equal(d.resources.filter((r) => r.type.startsWith('tls:')).length, 0, 'no certificate generated');
  assert.deepEqual(
    d
      .ofKind('Secret')
      .map((s) => s.metadata.name)
      .filter((n) => n.includes('tls')),
    [],
  );
  const ingress = d.one('Ingress', 'gateway');
  assert.equal(ingress.spec!['ingressClassName'], 'nginx');
  assert.deepEqual(ingress.spec!['tls'], [
    { hosts: ['api.demo.example', 'mcp.demo.example', 'login.demo.example', 'mail.demo.example'], secretName: 'company-tls' },
  ]);
  const rules = ingress.spec!['rules'] as { host: string; http: { paths: { backend: unknown }[] } }[];
  assert.deepEqual(
    rules.map((r) => r.host),
    ['api.demo.example', 'mcp.demo.example', 'login.demo.example', 'mail.demo.example'],
  );
  assert.deepEqual(rules[0]!.http.paths[0]!.backend, { service: { name: 'gateway', port: { name: 'http' } } });
  assert.equal(d.one('Service', 'gateway').spec!['type'], 'ClusterIP');
  assert.equal(d.env('Deployment', 'gateway')['KONG_PROXY_LISTEN'], '0.0.0.0:8000');
  assert.equal(await value(d.stack.caCertificate), undefined);
});

test('a real mail relay and an existing database: no inbox, no PostgreSQL pod, the URL only in a Secret', async () => {
  const url = 'postgresql://app:db-password-1@db.internal.example:6543/mcp?sslmode=require';
  const d = await deploy(
    'ext',
    {
      smtp: { host: 'smtp.example.com', port: 587, user: 'mailer', from: 'codes@example.com' },
      smtpPassword: 'relay-password-1',
      mailInbox: false,
      kubernetes: { databaseUrl: url },
    },
    undefined,
    'relay-password-1',
  );
  checkGraph(d);
  assert.deepEqual(d.ofKind('StatefulSet'), []);
  assert.ok(!names(d.ofKind('Deployment')).includes('maildev'));
  const env = d.env('Deployment', 'authorization-server');
  assert.equal(env['DATABASE_URL'], url);
  assert.equal(env['SMTP_HOST'], 'smtp.example.com');
  assert.equal(env['SMTP_PORT'], '587');
  for (const o of d.objects.filter((x) => x.kind !== 'Secret'))
    assert.ok(!JSON.stringify(o).includes('db-password-1'), `${o.kind} ${o.metadata.name}`);
  const kong = parse(d.one('Secret', 'gateway-config').stringData!['kong.yml']!);
  assert.ok(!JSON.stringify(kong).includes('mail.'));
  assert.equal(d.stack.endpoints.mailInbox, undefined);
  assert.equal(await value(d.stack.hostsLine), '203.0.113.10 api.demo.example mcp.demo.example login.demo.example');

  const curity = await deploy('extcurity', { curityLicenseKey: 'l', kubernetes: { databaseUrl: url } }, 'l');
  const { JDBC_URL, JDBC_USERNAME, JDBC_PASSWORD } = curity.env('Job', 'curity-init');
  assert.deepEqual(
    { JDBC_URL, JDBC_USERNAME, JDBC_PASSWORD },
    { JDBC_URL: 'jdbc:postgresql://db.internal.example:6543/mcp?sslmode=require', JDBC_USERNAME: 'app', JDBC_PASSWORD: 'db-password-1' },
  );
  assert.equal(curity.env('Deployment', 'curity')['DB_CONNECTION'], JDBC_URL);
});

/** Each object by kind and name, and each other resource by type and name within its deployment. */
function snapshot(d: Deployment, prefix: string): Map<string, string> {
  return new Map(
    d.resources.map((r) => {
      const plainInputs = deepPlain<K8sObject>(r.inputs);
      const key = r.type.startsWith('kubernetes:')
        ? `${plainInputs.kind}/${plainInputs.metadata.name}`
        : `${r.type}/${r.name.slice(prefix.length + 1)}`;
      return [key, JSON.stringify(plainInputs)];
    }),
  );
}

function changed(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}

test('a changed domain, scope or replica count changes exactly the objects it should', async () => {
  const base = snapshot(await deploy('base'), 'base');
  assert.deepEqual(changed(base, snapshot(await deploy('same'), 'same')), [], 'the same configuration gives the same objects');

  assert.deepEqual(changed(base, snapshot(await deploy('domain', { domain: 'acme.test' }), 'domain')), [
    'Deployment/authorization-server',
    'Deployment/gateway',
    'Deployment/mcp-server',
    'Deployment/stocks-api',
    'Secret/gateway-config',
    'tls:index/certRequest:CertRequest/tls-request',
    'tls:index/selfSignedCert:SelfSignedCert/tls-ca',
  ]);
  assert.deepEqual(changed(base, snapshot(await deploy('scope', { scope: 'prices/read' }), 'scope')), [
    'Deployment/authorization-server',
    'Deployment/mcp-server',
    'Deployment/stocks-api',
  ]);
  assert.deepEqual(changed(base, snapshot(await deploy('mcp', { kubernetes: { replicas: { mcpServer: 4 } } }), 'mcp')), [
    'Deployment/mcp-server',
    'HorizontalPodAutoscaler/mcp-server',
  ]);
  assert.deepEqual(changed(base, snapshot(await deploy('api', { kubernetes: { replicas: { stocksApi: 1 } } }), 'api')), [
    'Deployment/stocks-api',
    'PodDisruptionBudget/stocks-api',
  ]);
});
