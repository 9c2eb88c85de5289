import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from 'xmlbuilder2';
import { buildModel, parseStackConfig, type StackConfigInput } from '../model.ts';
import { CONFIG_PATH, CURITY_PARAMETERS, generateCurityConfig } from './config.ts';
import { PROCEDURE_IDS } from './procedures.ts';

const base: StackConfigInput = {
  domain: 'demo.example',
  scope: 'stocks/read',
  accessTokenTtlSeconds: 600,
  users: [
    { email: 'john.doe@demo.example', region: 'USA' },
    { email: 'jane.test@demo.example', region: 'Europe' },
  ],
};
const smtp = { host: 'maildev', port: 1025 };

function generate(overrides: Partial<StackConfigInput> = {}) {
  return generateCurityConfig(buildModel(parseStackConfig({ ...base, ...overrides })), { smtp });
}

type Node = { [key: string]: unknown };

/** Parses XML back (which fails on malformed XML) into plain objects. */
function parse(xml: string): Node {
  return create(xml).end({ format: 'object' }) as Node;
}

const list = (value: unknown): Node[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]) as Node[];
const at = (node: unknown, ...path: string[]): Node => {
  let current = node as Node;
  for (const key of path) {
    assert.ok(current && key in current, `missing <${key}> in ${path.join('/')}`);
    current = current[key] as Node;
  }
  return current;
};
const text = (node: unknown): string => (typeof node === 'string' ? node : String((node as Node)['#'] ?? ''));

function profiles(xml: string) {
  const config = at(parse(xml), 'config');
  const all = list(at(config, 'profiles', 'profile'));
  const byId = (id: string) => {
    const p = all.find((x) => text(x.id) === id);
    assert.ok(p, `profile ${id}`);
    return p;
  };
  return { config, token: byId('token-service'), authn: byId('authentication-service') };
}

describe('generateCurityConfig', () => {
  const out = generate();
  const { config, token, authn } = profiles(out.xml);
  const as = at(token, 'settings', 'authorization-server');

  it('is well-formed XML in the Curity configuration namespaces', () => {
    assert.equal(config['@xmlns'], 'http://tail-f.com/ns/config/1.0');
    assert.equal(at(config, 'environments')['@xmlns'], 'https://curity.se/ns/conf/base');
    assert.equal(as['@xmlns'], 'https://curity.se/ns/conf/profile/oauth');
    for (const f of out.files.filter((f) => f.path.endsWith('.xml'))) parse(f.content);
  });

  it('serves the login host and the admin UI at admin.<domain>', () => {
    const env = at(config, 'environments', 'environment');
    assert.equal(text(env['base-url']), 'https://login.demo.example');
    assert.equal(text(at(env, 'admin-service', 'http', 'base-url')), 'https://admin.demo.example');
  });

  it('exposes every endpoint of the contract, with introspection and metadata', () => {
    const endpoints = list(at(token, 'endpoints', 'endpoint')).map((e) => [text(e.uri), text(e['endpoint-kind'])]);
    for (const [uri, kind] of [
      ['/oauth/v2/oauth-anonymous', 'oauth-anonymous'],
      ['/oauth/v2/oauth-authorize', 'oauth-authorize'],
      ['/oauth/v2/oauth-token', 'oauth-token'],
      ['/oauth/v2/oauth-introspect', 'oauth-introspect'],
      ['/oauth/v2/oauth-revoke', 'oauth-revoke'],
      ['/oauth/v2/oauth-registration', 'oauth-dynamic-client-registration'],
    ]) {
      assert.ok(
        endpoints.some(([u, k]) => u === uri && k === kind),
        `${uri} (${kind})`,
      );
    }
    assert.ok('expose-metadata' in as);
    assert.ok('introspection' in at(as, 'client-capabilities'));
    // Every endpoint of both profiles is served by the runtime.
    const served = list(at(config, 'environments', 'environment', 'services', 'service-role', 'endpoints')).map(text);
    const declared = [token, authn].flatMap((p) => list(at(p, 'endpoints', 'endpoint')).map((e) => text(e.id)));
    assert.deepEqual([...served].sort(), [...declared].sort());
  });

  it('references the procedures from the token and registration endpoints', () => {
    const endpoint = (id: string) => list(at(token, 'endpoints', 'endpoint')).find((e) => text(e.id) === id) as Node;
    const procedures = list(endpoint('token-service-token')['token-endpoint-procedures']).map((p) => [text(p.flow), text(p.procedure)]);
    assert.deepEqual(procedures, [
      ['oauth-token-authorization-code', PROCEDURE_IDS.agentAccessToken],
      ['oauth-token-refresh', PROCEDURE_IDS.agentTokenRefresh],
      ['oauth-token-oauth-token-exchange', PROCEDURE_IDS.apiTokenExchange],
    ]);
    assert.equal(text(endpoint('token-service-registration')['pre-processing-procedure']), PROCEDURE_IDS.agentRegistration);
    // And each referenced procedure is shipped.
    for (const id of Object.values(PROCEDURE_IDS)) {
      assert.ok(
        out.files.some((f) => f.path.endsWith(`/${id}.js`)),
        id,
      );
    }
  });

  it('holds the scope with the description users see at consent, and offline_access as a scope of its own', () => {
    const [scope, offline] = list(at(as, 'scopes', 'scope')) as Node[];
    assert.equal(text(scope!.id), 'stocks/read');
    assert.match(text(scope!.description), /\S/);
    assert.equal(text(offline!.id), 'offline_access');
  });

  it('knows the gateway and MCP server clients with their capabilities and secrets as parameters', () => {
    const clients = list(at(as, 'client-store', 'config-backed', 'client'));
    const byId = Object.fromEntries(clients.map((c) => [text(c.id), c]));
    const gateway = byId['api-gateway-client'] as Node;
    const mcp = byId['mcp-server-client'] as Node;
    assert.deepEqual(Object.keys(at(gateway, 'capabilities')), ['introspection']);
    assert.deepEqual(Object.keys(at(mcp, 'capabilities')), ['oauth-token-exchange']);
    assert.equal(text(gateway.secret), `#{${CURITY_PARAMETERS.gatewayClientSecret}}`);
    assert.equal(text(mcp.secret), `#{${CURITY_PARAMETERS.mcpClientSecret}}`);
  });

  it('gives registered and metadata-document clients only the code flow, the scope and the lifetime', () => {
    const dcr = at(as, 'dynamic-client-registration', 'non-templatized');
    assert.deepEqual(Object.keys(at(dcr, 'capabilities')), ['code']);
    assert.deepEqual(list(at(dcr, 'scopes', 'scope')).map(text), ['stocks/read', 'offline_access']);
    const cimd = at(as, 'ephemeral-client');
    assert.deepEqual(Object.keys(at(cimd, 'capabilities')), ['code']);
    assert.equal(text(cimd['access-token-ttl']), '600');
    assert.equal(text(cimd['refresh-token-ttl']), '86400');
    assert.deepEqual(list(at(cimd, 'scopes', 'scope')).map(text), ['stocks/read', 'offline_access']);
    assert.equal(text(at(cimd, 'authenticators', 'authenticator')), 'email');
    // Agents on a person's machine use loopback redirect URIs; documents are fetched by a verifying client.
    assert.equal(text(at(cimd, 'redirect-uri-validation', 'allow-loopback-redirect-uris')), 'true');
    const httpClient = text(cimd['http-client']);
    const clients = list(at(config, 'facilities', 'http', 'client')) as Node[];
    const fetcher = clients.find((c) => text(c.id) === httpClient);
    assert.ok(fetcher, `the http client ${httpClient} is defined`);
    assert.equal(text(at(fetcher, 'tls', 'use-truststore')), 'true');
    assert.equal(text(at(as, 'client-capabilities', 'code', 'disallowed-proof-key-challenge-methods')), 'plain');
  });

  it('signs in only with email one-time codes sent through the SMTP server', () => {
    const authenticators = list(at(authn, 'settings', 'authentication-service', 'authenticators', 'authenticator'));
    assert.equal(authenticators.length, 1);
    assert.ok('send-otp-as-code' in at(authenticators[0], 'email'));
    const smtpConfig = at(config, 'facilities', 'email-providers', 'email-provider', 'smtp');
    assert.equal(text(smtpConfig['smtp-host']), 'maildev');
    assert.equal(text(smtpConfig['smtp-port']), '1025');
    const manager = at(config, 'processing', 'account-managers', 'account-manager');
    assert.ok(!('enable-registration' in manager), 'nobody can register an account');
  });

  it('reads its data from the PostgreSQL data source, whose connection is all parameters', () => {
    const source = at(config, 'facilities', 'data-sources', 'data-source');
    const jdbc = at(source, 'jdbc');
    assert.equal(jdbc['@xmlns'], 'https://curity.se/ns/ext-conf/jdbc');
    assert.equal(text(jdbc.driver), 'org.postgresql.Driver');
    assert.equal(text(jdbc['connection-string']), '#{DB_CONNECTION}');
    assert.equal(text(jdbc.username), '#{DB_USER}');
    assert.equal(text(jdbc.password), '#{DB_PASSWORD}');
    // Everything that stores data uses it: accounts, credentials, tokens, registered clients, caches.
    const id = text(source.id);
    assert.equal(text(at(config, 'processing', 'account-managers', 'account-manager', 'account-data-source')), id);
    assert.equal(text(at(config, 'processing', 'credential-managers', 'credential-manager', 'data-source-backed', 'data-source-id')), id);
    assert.equal(text(at(as, 'dynamic-client-registration', 'client-data-source')), id);
    assert.equal(text(at(config, 'facilities', 'caching-services', 'default-caching-service', 'data-source')), id);
    for (const profile of [token, authn])
      assert.equal(text(at(profile, 'token-issuers', 'default-token-issuer', 'default-data-source')), id);
    assert.doesNotMatch(out.xml, /hsqldb/i);
  });

  it('signs tokens with the key under <crypto>, given as a parameter', () => {
    const key = at(config, 'facilities', 'crypto', 'signing-keys', 'signing-key');
    assert.equal(text(key.keystore), '#{SIGNING_KEY}');
    for (const profile of [token, authn]) {
      assert.equal(text(at(profile, 'token-issuers', 'default-token-issuer', 'jwt-issuer-settings', 'signing-key-id')), text(key.id));
    }
  });

  it('declares the signing key as the algorithm needs it: a P-256 key for ES256, RSA (the default type) for PS256', () => {
    const key = at(config, 'facilities', 'crypto', 'signing-keys', 'signing-key');
    assert.deepEqual([text(key.type), text(key['curve-name'])], ['elliptic-curve', 'P-256']);
    const rsa = profiles(generate({ tokenSigningAlgorithm: 'PS256' }).xml);
    assert.equal(text(at(rsa.token, 'token-issuers', 'default-token-issuer', 'jwt-issuer-settings', 'algorithm')), 'PS256');
    const rsaKey = at(rsa.config, 'facilities', 'crypto', 'signing-keys', 'signing-key');
    assert.deepEqual(Object.keys(rsaKey).sort(), ['id', 'keystore']);
  });

  it('lets the procedures know the users and their regions', () => {
    const procedure = out.files.find((f) => f.path.endsWith(`${PROCEDURE_IDS.agentAccessToken}.js`));
    assert.match(procedure?.content ?? '', /"jane\.test@demo\.example": "Europe"/);
  });

  it('signs tokens with the model algorithm and puts the licence and admin password in parameters', () => {
    assert.equal(text(at(token, 'token-issuers', 'default-token-issuer', 'jwt-issuer-settings', 'algorithm')), 'ES256');
    assert.equal(text(at(config, 'processing', 'license-key')), '#{LICENSE_KEY}');
    assert.equal(text(at(config, 'aaa', 'authentication', 'users', 'user', 'password')), '#{ADMIN_PASSWORD}');
    assert.deepEqual([...out.parameters].sort(), Object.values(CURITY_PARAMETERS).sort());
    for (const name of out.parameters) assert.ok(out.xml.includes(`#{${name}}`), name);
  });

  it('puts no secret literal in any generated file', () => {
    // Every secret-bearing element is a parameter, and no hashed or clear-text secret appears.
    const leaves = [...out.xml.matchAll(/<(secret|password|license-key|symmetric-key|keystore|connection-string|username)>([^<]*)<\/\1>/g)];
    assert.equal(
      leaves.length,
      9,
      'two client secrets, the admin and database passwords, the licence, the symmetric key, the signing key, the database URL and role',
    );
    for (const match of leaves) {
      assert.match(match[2] ?? '', /^#\{[A-Z_]+\}$/, `<${match[1]}> must be a parameter`);
    }
    for (const f of out.files) {
      assert.doesNotMatch(f.content, /\$[0156]\$/, `${f.path} holds a crypt value`);
      assert.doesNotMatch(f.content, /data:[a-z/0-9]+;(aes|base64)/, `${f.path} holds an embedded key`);
    }
  });

  it('places the XML and the procedures where Curity reads them', () => {
    assert.ok(out.files.some((f) => f.path === CONFIG_PATH && f.content === out.xml));
    for (const f of out.files.filter((f) => f.path.endsWith('.js'))) {
      assert.match(f.path, /^\/opt\/idsvr\/etc\/init\/(token-procedures\/[a-z-]+|pre-processing-procedures)\/[a-z-]+\.js$/);
    }
  });
});

describe('the configuration follows the model', () => {
  const before = generate();

  it('changes with the domain', () => {
    const after = generate({ domain: 'corp.example', users: [{ email: 'ann@corp.example', region: 'Asia' }] });
    assert.notEqual(after.xml, before.xml);
    assert.match(after.xml, /<base-url>https:\/\/login\.corp\.example<\/base-url>/);
    assert.doesNotMatch(after.xml, /demo\.example/);
  });

  it('changes with the scope', () => {
    const after = generate({ scope: 'quotes/read' });
    assert.notEqual(after.xml, before.xml);
    const { token } = profiles(after.xml);
    assert.equal(text((list(at(token, 'settings', 'authorization-server', 'scopes', 'scope'))[0] as Node).id), 'quotes/read');
    assert.doesNotMatch(after.xml, /stocks\/read/);
  });

  it('changes with the refresh-token lifetime: 0 disables refresh tokens and offline_access', () => {
    const { token } = profiles(generate({ refreshTokenTtlSeconds: 0 }).xml);
    const as0 = at(token, 'settings', 'authorization-server');
    assert.equal(text(at(as0, 'ephemeral-client')['refresh-token-ttl']), 'disabled');
    assert.doesNotMatch(generate({ refreshTokenTtlSeconds: 0 }).xml, /offline_access/);
    assert.equal(
      text(
        at(profiles(generate({ refreshTokenTtlSeconds: 3600 }).xml).token, 'settings', 'authorization-server', 'ephemeral-client')[
          'refresh-token-ttl'
        ],
      ),
      '3600',
    );
  });

  it('changes with the users (the procedures know their regions)', () => {
    const after = generate({ users: [{ email: 'ann@demo.example', region: 'Asia' }] });
    const procedures = (c: typeof before) =>
      c.files
        .filter((f) => f.path.endsWith('.js'))
        .map((f) => f.content)
        .join('\n');
    assert.match(procedures(after), /"ann@demo\.example": "Asia"/);
    assert.doesNotMatch(procedures(after), /john\.doe/);
  });

  it('is deterministic for the same model', () => {
    assert.deepEqual(generate(), before);
  });
});
