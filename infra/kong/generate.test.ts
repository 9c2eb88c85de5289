import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAlias, parse, parseDocument, visit } from 'yaml';
import { buildModel, parseStackConfig, type StackConfigInput } from '../model.ts';
import { generateKongConfig, KongGenerationError, kongConfigYaml, type KongUpstreams } from './generate.ts';
import type { KongConfig, KongPlugin } from './types.ts';

const base: StackConfigInput = {
  domain: 'demo.example',
  scope: 'stocks/read',
  users: [{ email: 'john.doe@demo.example', region: 'USA' }],
};
const upstreams: KongUpstreams = {
  api: 'http://stocks-api:3000',
  mcp: 'http://mcp-server:3000',
  login: 'http://authorization-server:8443',
  mail: 'http://maildev:1080',
};
const secrets = { gatewayClientSecret: 'gateway-secret-value' };
const model = (change: Partial<StackConfigInput> = {}) => buildModel(parseStackConfig({ ...base, ...change }));
const curityModel = () => model({ curityLicenseKey: 'licence' });

/** route name → [hosts, paths, plugin names] */
function routeTable(config: KongConfig) {
  return Object.fromEntries(
    config.services.flatMap((s) =>
      s.routes.map((r) => [
        r.name,
        { service: s.name, url: s.url, hosts: r.hosts, paths: r.paths, plugins: (r.plugins ?? []).map((p) => p.name) },
      ]),
    ),
  );
}
const plugin = <N extends KongPlugin['name']>(config: KongConfig, route: string, name: N) =>
  config.services
    .flatMap((s) => s.routes)
    .find((r) => r.name === route)
    ?.plugins?.find((p) => p.name === name) as Extract<KongPlugin, { name: N }> | undefined;

test('the built-in authorization server gets exactly the api, mcp, login and mail routes', () => {
  const config = generateKongConfig(model(), upstreams, secrets);
  assert.equal(config._format_version, '3.0');
  assert.equal(config._transform, true);
  assert.deepEqual(routeTable(config), {
    'stocks-api': {
      service: 'stocks-api',
      url: upstreams.api,
      hosts: ['api.demo.example'],
      paths: ['/stocks'],
      plugins: ['phantom-token', 'cors'],
    },
    'stocks-api-options': {
      service: 'stocks-api',
      url: upstreams.api,
      hosts: ['api.demo.example'],
      paths: ['/stocks'],
      plugins: ['cors', 'request-transformer'],
    },
    'mcp-server': {
      service: 'mcp-server',
      url: upstreams.mcp,
      hosts: ['mcp.demo.example'],
      paths: ['/'],
      plugins: ['phantom-token', 'cors'],
    },
    'mcp-server-options': {
      service: 'mcp-server',
      url: upstreams.mcp,
      hosts: ['mcp.demo.example'],
      paths: ['/'],
      plugins: ['cors', 'request-transformer'],
    },
    'mcp-server-resource-metadata': {
      service: 'mcp-server',
      url: upstreams.mcp,
      hosts: ['mcp.demo.example'],
      paths: ['/.well-known/oauth-protected-resource'],
      plugins: ['cors', 'request-transformer'],
    },
    'authorization-server': {
      service: 'authorization-server',
      url: upstreams.login,
      hosts: ['login.demo.example'],
      paths: ['/'],
      plugins: ['cors'],
    },
    mail: { service: 'mail', url: upstreams.mail, hosts: ['mail.demo.example'], paths: ['/'], plugins: ['response-transformer'] },
  });
});

test("OPTIONS, which the phantom-token plugin lets pass, has its own routes that drop the client's Authorization header", () => {
  const config = generateKongConfig(model(), upstreams, secrets);
  const routes = config.services.flatMap((s) => s.routes);
  for (const name of ['stocks-api', 'mcp-server']) {
    const options = routes.find((r) => r.name === `${name}-options`);
    const main = routes.find((r) => r.name === name);
    assert.deepEqual(options?.methods, ['OPTIONS']);
    assert.deepEqual([options?.hosts, options?.paths], [main?.hosts, main?.paths]);
    assert.deepEqual(plugin(config, `${name}-options`, 'request-transformer')?.config, { remove: { headers: ['Authorization'] } });
  }
  assert.deepEqual(plugin(config, 'mcp-server-resource-metadata', 'request-transformer')?.config, {
    remove: { headers: ['Authorization'] },
  });
});

test('the mail inbox may be served under a path of its upstream (a secret one in the local stack)', () => {
  const config = generateKongConfig(model(), { ...upstreams, mail: 'http://127.0.0.1:9013/0123abcd/' }, secrets);
  assert.equal(config.services.find((s) => s.name === 'mail')?.url, 'http://127.0.0.1:9013/0123abcd/');
  for (const bad of ['http://127.0.0.1:9013/0123abcd', 'http://127.0.0.1:9013/x/?q=1']) {
    assert.throws(() => generateKongConfig(model(), { ...upstreams, mail: bad }, secrets), /Upstream "mail" must be an origin/);
  }
  assert.throws(() => generateKongConfig(model(), { ...upstreams, api: 'http://stocks-api:3000/x/' }, secrets), /Upstream "api"/);
});

test("the mail inbox answers only its own host, without maildev's Access-Control-Allow-Origin", () => {
  const config = generateKongConfig(model(), upstreams, secrets);
  const mail = config.services.find((s) => s.name === 'mail');
  assert.deepEqual(
    mail?.routes.map((r) => r.hosts),
    [['mail.demo.example']],
  );
  assert.deepEqual(plugin(config, 'mail', 'response-transformer')?.config, { remove: { headers: ['Access-Control-Allow-Origin'] } });
});

test('without a mail inbox the gateway serves no mail host', () => {
  const { mail: _mail, ...withoutMail } = upstreams;
  const config = generateKongConfig(model(), withoutMail, secrets);
  assert.deepEqual(
    config.services.map((s) => s.name),
    ['stocks-api', 'mcp-server', 'authorization-server'],
  );
  assert.ok(!JSON.stringify(config).includes('mail.demo.example'));
});

test('routes keep the public host and the whole path', () => {
  const routes = generateKongConfig(model(), upstreams, secrets).services.flatMap((s) => s.routes);
  for (const route of routes) assert.equal(route.strip_path, false, route.name);
  for (const name of ['mcp-server', 'mcp-server-resource-metadata', 'authorization-server']) {
    assert.equal(routes.find((r) => r.name === name)?.preserve_host, true, name);
  }
});

test('phantom-token introspects at the internal address with the gateway client', () => {
  const m = model();
  const config = generateKongConfig(m, upstreams, secrets);
  for (const route of ['stocks-api', 'mcp-server']) {
    assert.deepEqual(plugin(config, route, 'phantom-token')?.config, {
      introspection_endpoint: 'http://authorization-server:8443/oauth/v2/oauth-introspect',
      client_id: m.clients.gateway.id,
      client_secret: 'gateway-secret-value',
      token_cache_seconds: m.introspectionCacheSeconds,
    });
  }
});

test('phantom-token caches introspection answers no longer than introspectionCacheSeconds (the revocation window)', () => {
  assert.equal(plugin(generateKongConfig(model(), upstreams, secrets), 'mcp-server', 'phantom-token')?.config.token_cache_seconds, 30);
  const short = generateKongConfig(model({ introspectionCacheSeconds: 2 }), upstreams, secrets);
  for (const route of ['stocks-api', 'mcp-server']) assert.equal(plugin(short, route, 'phantom-token')?.config.token_cache_seconds, 2);
});

test('Curity adds the admin host and rewrites registration requests', () => {
  const config = generateKongConfig(curityModel(), { ...upstreams, login: 'http://curity:8443', admin: 'http://curity:6749' }, secrets);
  const table = routeTable(config);
  assert.deepEqual(table['admin'], {
    service: 'admin',
    url: 'http://curity:6749',
    hosts: ['admin.demo.example'],
    paths: ['/'],
    plugins: [],
  });
  assert.deepEqual(table['authorization-server-registration'], {
    service: 'authorization-server',
    url: 'http://curity:8443',
    hosts: ['login.demo.example'],
    paths: ['/oauth/v2/oauth-registration'],
    plugins: ['cors', 'request-transformer'],
  });
  assert.deepEqual(plugin(config, 'authorization-server-registration', 'request-transformer')?.config, {
    remove: { body: ['client_uri'] },
  });
  assert.equal(Object.keys(table).length, 9);
});

test('the local stack can run the built-in server even when the configuration names Curity', () => {
  const config = generateKongConfig(curityModel(), upstreams, secrets, { authorizationServer: 'builtin' });
  const names = Object.keys(routeTable(config));
  assert.ok(!names.includes('admin'));
  assert.ok(!names.includes('authorization-server-registration'));
});

test('CORS allows exactly the configured origins, and no plugin at all without any', () => {
  const config = generateKongConfig(
    model({ corsOrigins: ['http://localhost:6274', 'https://inspector.demo.example'] }),
    upstreams,
    secrets,
  );
  const cors = plugin(config, 'mcp-server', 'cors')?.config;
  assert.deepEqual(cors?.origins, ['http://localhost:6274', 'https://inspector.demo.example']);
  assert.equal(cors?.credentials, false);
  assert.ok(cors?.headers?.includes('Authorization'));
  assert.ok(cors?.exposed_headers?.includes('WWW-Authenticate'));

  const none = generateKongConfig(model({ corsOrigins: [] }), upstreams, secrets);
  assert.ok(none.services.flatMap((s) => s.routes).every((r) => !r.plugins?.some((p) => p.name === 'cors')));
});

test('another domain changes every host and leaves no trace of the old one', () => {
  const text = kongConfigYaml(model({ domain: 'acme.test' }), upstreams, secrets);
  assert.ok(!text.includes('demo.example'));
  const hosts = generateKongConfig(model({ domain: 'acme.test' }), upstreams, secrets).services.flatMap((s) =>
    s.routes.flatMap((r) => r.hosts),
  );
  assert.deepEqual([...new Set(hosts)].sort(), ['api.acme.test', 'login.acme.test', 'mail.acme.test', 'mcp.acme.test']);
});

test('the YAML text parses to the generated configuration', () => {
  const args = [curityModel(), { ...upstreams, admin: 'http://curity:6749' }, secrets] as const;
  const text = kongConfigYaml(...args);
  assert.match(text, /^# Generated from the deployment model/);
  assert.match(text, /^_format_version: "3.0"$/m);
  assert.deepEqual(parse(text), generateKongConfig(...args));
});

test('upstreams must be origins, and Curity needs its admin upstream', () => {
  for (const bad of ['stocks-api:3000', 'http://stocks-api:3000/', 'http://stocks-api:3000/stocks', 'ftp://stocks-api']) {
    assert.throws(
      () => generateKongConfig(model(), { ...upstreams, api: bad }, secrets),
      (e: unknown) => {
        assert.ok(e instanceof KongGenerationError);
        assert.equal(e.code, 'ERR_KONG_UPSTREAM_INVALID');
        assert.match(e.message, /Upstream "api" must be an origin/);
        return true;
      },
    );
  }
  const failsWith = (code: string, message: RegExp) => (e: unknown) =>
    e instanceof KongGenerationError && e.code === code && message.test(e.message);
  assert.throws(
    () => generateKongConfig(curityModel(), upstreams, secrets),
    failsWith('ERR_KONG_UPSTREAM_MISSING', /Upstream "admin" is missing/),
  );
  assert.throws(
    () => generateKongConfig(model(), upstreams, { gatewayClientSecret: '' }),
    failsWith('ERR_KONG_SECRET_EMPTY', /client secret is empty/),
  );
});

test('the YAML file has no anchors or aliases: every route carries its own plugins', () => {
  for (const m of [model(), curityModel()]) {
    const text = kongConfigYaml(m, { ...upstreams, admin: 'http://curity:6749' }, secrets);
    let aliases = 0;
    const doc = parseDocument(text);
    visit(doc, {
      Node(_key, node) {
        if (isAlias(node)) aliases++;
        assert.equal((node as { anchor?: string }).anchor, undefined, 'no anchor');
      },
    });
    assert.equal(aliases, 0);
    assert.doesNotMatch(text, /(^|\s)[&*][A-Za-z0-9]+/m);
    // The shared plugin objects were written out once per route.
    const phantom = (doc.toJS() as KongConfig).services
      .flatMap((s) => s.routes)
      .filter((r) => r.plugins?.some((p) => p.name === 'phantom-token'));
    assert.equal(phantom.length, 2);
  }
});
