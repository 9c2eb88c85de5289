import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, StackConfigError, parseStackConfig } from './model.ts';

const valid = {
  domain: 'demo.example',
  scope: 'stocks/read',
  users: [
    { email: 'john.doe@demo.example', region: 'USA' },
    { email: 'jane.test@demo.example', region: 'Europe' },
  ],
};

test('derives origins, issuer, audiences and clients from the domain', () => {
  const model = buildModel(parseStackConfig(valid));
  assert.equal(model.origins.mcp, 'https://mcp.demo.example');
  assert.equal(model.issuer, 'https://login.demo.example/oauth/v2/oauth-anonymous');
  assert.equal(model.mcpResource, 'https://mcp.demo.example/');
  assert.equal(model.apiAudience, 'https://api.demo.example');
  assert.equal(model.endpoints.jwks, `${model.issuer}/jwks`);
  assert.equal(model.config.authorizationServer, 'builtin');
  assert.equal(model.accessTokenTtlSeconds, 900);
  assert.equal(model.agentPolicy.refreshTokenTtlSeconds, 86_400, 'refresh tokens for a day by default');
});

test('refreshTokenTtlSeconds: 0 turns refresh tokens off', () => {
  assert.equal(buildModel(parseStackConfig({ ...valid, refreshTokenTtlSeconds: 0 })).agentPolicy.refreshTokenTtlSeconds, 0);
  assert.equal(parseStackConfig({ ...valid, 'mcp-secured-api:refreshTokenTtlSeconds': '3600' }).refreshTokenTtlSeconds, 3600);
});

test('introspectionCacheSeconds bounds how long a revoked token keeps working at the gateway: 30 s unless set', () => {
  assert.equal(buildModel(parseStackConfig(valid)).introspectionCacheSeconds, 30);
  assert.equal(buildModel(parseStackConfig({ ...valid, 'mcp-secured-api:introspectionCacheSeconds': '2' })).introspectionCacheSeconds, 2);
});

test('tokenSigningAlgorithm chooses the one algorithm resource servers accept: ES256 unless set', () => {
  assert.deepEqual(buildModel(parseStackConfig(valid)).jwt.algorithms, ['ES256']);
  for (const algorithm of ['EdDSA', 'PS256'] as const) {
    assert.deepEqual(buildModel(parseStackConfig({ ...valid, 'mcp-secured-api:tokenSigningAlgorithm': algorithm })).jwt.algorithms, [
      algorithm,
    ]);
  }
});

test('another domain and scheme change every derived value', () => {
  const model = buildModel(parseStackConfig({ ...valid, domain: 'Acme.Test', scheme: 'http' }));
  assert.equal(model.hosts.login, 'login.acme.test');
  assert.equal(model.mcpResource, 'http://mcp.acme.test/');
});

test('local origins replace public ones', () => {
  const model = buildModel(parseStackConfig(valid), { origins: { mcp: 'http://localhost:9001', login: 'http://localhost:9003' } });
  assert.equal(model.mcpResource, 'http://localhost:9001/');
  assert.equal(model.issuer, 'http://localhost:9003/oauth/v2/oauth-anonymous');
});

test('accepts namespaced keys and JSON strings as Pulumi stores them', () => {
  const config = parseStackConfig({
    'mcp-secured-api:domain': 'demo.example',
    'mcp-secured-api:scope': 'stocks/read',
    'mcp-secured-api:users': JSON.stringify(valid.users),
    'mcp-secured-api:accessTokenTtlSeconds': '300',
  });
  assert.equal(config.accessTokenTtlSeconds, 300);
  assert.equal(config.users.length, 2);
});

for (const [name, change, key, fragment] of [
  ['a domain with a scheme', { domain: 'https://demo.example' }, 'domain', 'without a scheme'],
  ['an empty scope', { scope: '' }, 'scope', 'must not be empty'],
  ['a scope with spaces', { scope: 'a b' }, 'scope', 'one OAuth scope token'],
  ['a user without a valid email', { users: [{ email: 'john', region: 'USA' }] }, 'users[0.email]', 'email address'],
  ['no users', { users: [] }, 'users', 'at least one'],
  ['a negative TTL', { accessTokenTtlSeconds: -5 }, 'accessTokenTtlSeconds', 'at least 30'],
  ['a negative refresh-token lifetime', { refreshTokenTtlSeconds: -1 }, 'refreshTokenTtlSeconds', '0 (no refresh tokens) or more'],
  ['a refresh-token lifetime too short to use', { refreshTokenTtlSeconds: 5 }, 'refreshTokenTtlSeconds', 'at least 60 seconds'],
  ['a refresh-token lifetime over 90 days', { refreshTokenTtlSeconds: 8_000_000 }, 'refreshTokenTtlSeconds', '90 days'],
  ['no introspection cache at all', { introspectionCacheSeconds: 0 }, 'introspectionCacheSeconds', 'at least 1 second'],
  ['an introspection cache past the plugin default', { introspectionCacheSeconds: 301 }, 'introspectionCacheSeconds', 'at most 300'],
  ['an unknown signing algorithm', { tokenSigningAlgorithm: 'RS256' }, 'tokenSigningAlgorithm', '"ES256", "EdDSA" or "PS256"'],
  ['a signing algorithm in the wrong case', { tokenSigningAlgorithm: 'es256' }, 'tokenSigningAlgorithm', '"ES256", "EdDSA" or "PS256"'],
  [
    'a trusted proxy that is no address',
    { kubernetes: { trustedProxies: ['10.244.0.0/16', 'ingress-nginx'] } },
    'kubernetes.trustedProxies.1',
    'IP address or CIDR range',
  ],
  ['a trusted range too long', { kubernetes: { trustedProxies: ['10.0.0.0/33'] } }, 'kubernetes.trustedProxies.0', 'CIDR range'],
  ['an unknown key', { domian: 'x' }, 'domian', 'not a known key'],
  ['a CORS origin with a path', { corsOrigins: ['http://localhost:6274/x'] }, 'corsOrigins[0]', 'origin'],
  ['curity without a licence', { authorizationServer: 'curity' }, 'authorizationServer', 'curityLicenseKey'],
  ['an unknown target', { target: 'nomad' }, 'target', '"docker" or "kubernetes"'],
  ['Kubernetes without images', { target: 'kubernetes' }, 'kubernetes.imageRegistry', 'registry'],
  ['an unknown nested key', { kubernetes: { replica: 3 } }, 'kubernetes.replica', 'known keys of kubernetes: namespace'],
  ['a bad namespace', { kubernetes: { namespace: 'MCP_API' } }, 'kubernetes.namespace', 'Kubernetes name'],
  [
    'a bad CPU quantity',
    { kubernetes: { resources: { mcpServer: { limits: { cpu: 'two' } } } } },
    'kubernetes.resources.mcpServer.limits.cpu',
    'CPU quantity',
  ],
  [
    'fewer autoscaled pods than replicas',
    { kubernetes: { replicas: { mcpServer: 5 }, autoscaling: { mcpServerMaxReplicas: 3 } } },
    'kubernetes.autoscaling.mcpServerMaxReplicas',
    'at least',
  ],
  [
    'a database URL that is not PostgreSQL',
    { kubernetes: { databaseUrl: 'mysql://u:p@db/x' } },
    'kubernetes.databaseUrl',
    'PostgreSQL URL',
  ],
  ['no inbox and no relay', { mailInbox: false }, 'smtp', 'mail relay'],
  ['no inbox by its older name and no relay', { kubernetes: { mailInbox: false } }, 'smtp', 'mail relay'],
  [
    'the inbox on by one name and off by the other',
    { mailInbox: true, kubernetes: { mailInbox: false }, smtp: { host: 'smtp.example.com' } },
    'kubernetes.mailInbox',
    'older name of mailInbox',
  ],
  ['a relay password without a user', { smtp: { host: 'smtp.example.com' }, smtpPassword: 'p' }, 'smtp.user', 'smtpPassword'],
] as const) {
  test(`refuses ${name} naming the key`, () => {
    assert.throws(
      () => parseStackConfig({ ...valid, ...change }),
      (err: unknown) => {
        assert.ok(err instanceof StackConfigError);
        assert.match(err.message, new RegExp(`mcp-secured-api:${key.replace(/[[\].]/g, '\\$&')} `));
        assert.ok(err.message.includes(fragment), err.message);
        return true;
      },
    );
  });
}

test('the organisation users sign in to is named by organizationName, else by the domain', () => {
  assert.equal(buildModel(parseStackConfig(valid)).organizationName, 'demo.example');
  assert.equal(buildModel(parseStackConfig({ ...valid, organizationName: ' Demo Corp ' })).organizationName, 'Demo Corp');
  assert.throws(() => parseStackConfig({ ...valid, organizationName: ' ' }), /mcp-secured-api:organizationName must not be empty/);
});

test('Kubernetes settings: defaults, one field of a size changed alone, values as `pulumi config set --path` stores them', () => {
  const config = parseStackConfig({ ...valid });
  assert.equal(config.target, 'docker');
  assert.equal(config.kubernetes.namespace, 'mcp-secured-api');
  assert.deepEqual(config.kubernetes.replicas, { gateway: 2, mcpServer: 2, stocksApi: 2, authorizationServer: 2 });
  assert.equal(config.mailInbox, true);
  const older = parseStackConfig({
    ...valid,
    target: 'kubernetes',
    kubernetes: JSON.stringify({
      imageRegistry: 'registry.example.com/mcp',
      imageTag: '1.0.0',
      replicas: { mcpServer: '4' },
      mailInbox: 'false',
      resources: { mcpServer: { limits: { memory: '1Gi' } } },
    }),
    smtp: JSON.stringify({ host: 'smtp.example.com' }),
  });
  const k = older.kubernetes;
  assert.equal(k.replicas.mcpServer, 4);
  assert.equal(older.mailInbox, false, 'kubernetes.mailInbox, the older name, is still read');
  assert.ok(!('mailInbox' in k), 'and read only as mailInbox');
  assert.equal(parseStackConfig({ ...valid, mailInbox: 'false', smtp: JSON.stringify({ host: 'smtp.example.com' }) }).mailInbox, false);
  assert.deepEqual(k.resources.mcpServer, { requests: { cpu: '250m', memory: '192Mi' }, limits: { cpu: '1', memory: '1Gi' } });
});

test('a licence makes curity the default', () => {
  assert.equal(parseStackConfig({ ...valid, curityLicenseKey: 'k' }).authorizationServer, 'curity');
});

test('access tokens must be typed at+jwt from the built-in server; Curity sets no typ, so none is required of it', () => {
  assert.equal(buildModel(parseStackConfig(valid)).jwt.typ, 'at+jwt');
  assert.equal(buildModel(parseStackConfig({ ...valid, curityLicenseKey: 'k' })).jwt.typ, null);
});
