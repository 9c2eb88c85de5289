/**
 * Kong cannot run here, so the generated declarative file is checked against the rules of Kong's own
 * schemas for the pinned version (3.9.1) and of the pinned phantom-token plugin (2.0.1): every field
 * we write must exist, with the type Kong gives it, and every required plugin setting must be there.
 * The rules below are read from these files (see infra/curity/SOURCES.md):
 *   kong/db/schema/entities/{services,routes,plugins}.lua, kong/plugins/cors/schema.lua,
 *   kong/plugins/{request,response}-transformer/schema.lua (Kong 3.9.1), plugin/schema.lua (phantom token v2.0.1).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { buildModel, parseStackConfig, type StackConfigInput } from '../model.ts';
import { IMAGES } from '../versions.ts';
import { kongConfigYaml, type KongUpstreams } from './generate.ts';

type Check = (value: unknown, where: string) => void;
const fail = (where: string, what: string) => assert.fail(`${where}: ${what}`);

const string: Check = (v, w) => void (typeof v !== 'string' && fail(w, `expected a string, got ${JSON.stringify(v)}`));
const boolean: Check = (v, w) => void (typeof v !== 'boolean' && fail(w, 'expected a boolean'));
const number: Check = (v, w) => void (typeof v !== 'number' && fail(w, 'expected a number'));
const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v, w) => {
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) fail(w, `expected an integer in ${min}..${max}`);
  };
const oneOf =
  (...allowed: string[]): Check =>
  (v, w) =>
    void (!allowed.includes(v as string) && fail(w, `expected one of ${allowed.join(', ')}`));
const array =
  (element: Check): Check =>
  (v, w) => {
    if (!Array.isArray(v)) return fail(w, 'expected an array');
    v.forEach((e, i) => element(e, `${w}[${i}]`));
  };
/** A record: only the listed fields, each of its type; `required` ones present. */
const record =
  (fields: Record<string, Check>, required: string[] = []): Check =>
  (v, w) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(w, 'expected a record');
    for (const key of required) if (!(key in v)) fail(w, `missing required field "${key}"`);
    for (const [key, value] of Object.entries(v)) {
      const check = fields[key];
      if (!check) fail(w, `unknown field "${key}" (Kong refuses it)`);
      check!(value, `${w}.${key}`);
    }
  };

// typedefs.router_paths: a path starts with "/" (or "~" for a regex).
const routerPath: Check = (v, w) => void (!(typeof v === 'string' && /^[/~]/.test(v)) && fail(w, 'a route path starts with / or ~'));
const METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'];
const transformTargets = record({ body: array(string), headers: array(string), querystring: array(string) });

const PLUGIN_CONFIGS: Record<string, Check> = {
  cors: record({
    origins: array(string),
    headers: array(string),
    exposed_headers: array(string),
    methods: array(oneOf(...METHODS)),
    max_age: number,
    credentials: boolean,
    private_network: boolean,
    preflight_continue: boolean,
  }),
  'request-transformer': record({
    http_method: string,
    remove: transformTargets,
    rename: transformTargets,
    replace: record({ body: array(string), headers: array(string), querystring: array(string), uri: string }),
    add: transformTargets,
    append: transformTargets,
  }),
  // kong/plugins/response-transformer/schema.lua
  'response-transformer': record({
    remove: record({ json: array(string), headers: array(string) }),
    rename: record({ json: array(string), headers: array(string) }),
    replace: record({ json: array(string), json_types: array(oneOf('boolean', 'number', 'string')), headers: array(string) }),
    add: record({ json: array(string), json_types: array(oneOf('boolean', 'number', 'string')), headers: array(string) }),
    append: record({ json: array(string), json_types: array(oneOf('boolean', 'number', 'string')), headers: array(string) }),
  }),
  'phantom-token': record(
    {
      introspection_endpoint: string,
      client_id: string,
      client_secret: string,
      token_cache_seconds: number,
      scope: string,
      verify_ssl: boolean,
    },
    ['introspection_endpoint', 'client_id', 'client_secret'],
  ),
};

const plugin: Check = (v, w) => {
  record({ name: string, instance_name: string, config: () => {}, protocols: array(string), enabled: boolean, tags: array(string) }, [
    'name',
  ])(v, w);
  const { name, config } = v as { name: string; config?: unknown };
  const check = PLUGIN_CONFIGS[name];
  if (!check) fail(w, `plugin "${name}" is neither bundled in the subset we check nor the phantom-token plugin`);
  check!(config ?? {}, `${w}.config`);
};

const route = record(
  {
    name: string,
    protocols: array(oneOf('http', 'https', 'grpc', 'grpcs', 'tcp', 'tls', 'udp', 'tls_passthrough', 'ws', 'wss')),
    methods: array(string),
    hosts: array(string),
    paths: array(routerPath),
    headers: () => {},
    https_redirect_status_code: oneOf('426', '301', '302', '307', '308'),
    regex_priority: integer(-Number.MAX_SAFE_INTEGER),
    strip_path: boolean,
    path_handling: oneOf('v0', 'v1'),
    preserve_host: boolean,
    request_buffering: boolean,
    response_buffering: boolean,
    snis: array(string),
    sources: array(() => {}),
    destinations: array(() => {}),
    tags: array(string),
    plugins: array(plugin),
  },
  [],
);

const timeout = integer(1, 2 ** 31 - 2);
const service = record({
  name: string,
  url: (v, w) => {
    string(v, w);
    const u = new URL(v as string);
    if (!['http:', 'https:', 'grpc:', 'grpcs:', 'tcp:', 'tls:', 'udp:'].includes(u.protocol)) fail(w, 'unsupported protocol');
  },
  retries: integer(0, 32767),
  protocol: string,
  host: string,
  port: integer(0, 65535),
  path: string,
  connect_timeout: timeout,
  write_timeout: timeout,
  read_timeout: timeout,
  tags: array(string),
  client_certificate: () => {},
  tls_verify: boolean,
  tls_verify_depth: integer(0, 64),
  ca_certificates: array(string),
  enabled: boolean,
  routes: array(route),
  plugins: array(plugin),
});

const declarative = record({ _format_version: oneOf('1.1', '2.1', '3.0'), _transform: boolean, services: array(service) }, [
  '_format_version',
]);

const upstreams: KongUpstreams = {
  api: 'http://stocks-api:3000',
  mcp: 'http://mcp-server:3000',
  login: 'http://curity:8443',
  mail: 'http://maildev:1080',
  admin: 'http://curity:6749',
};
const base: StackConfigInput = { domain: 'demo.example', scope: 'stocks/read', users: [{ email: 'ann@demo.example', region: 'USA' }] };

test('the checks are for the Kong and plugin versions the image is built from', () => {
  assert.equal(IMAGES.kong, 'kong:3.9.1');
  assert.equal(IMAGES.kongPhantomTokenPlugin, '2.0.1-1');
});

test('the checks catch what Kong would refuse', () => {
  assert.throws(
    () =>
      declarative({ _format_version: '3.0', services: [{ name: 's', url: 'http://x', routes: [{ paths: ['/'], strip: false }] }] }, 'file'),
    /unknown field "strip"/,
  );
  assert.throws(
    () => declarative({ _format_version: '3.0', services: [{ name: 's', url: 'http://x', routes: [{ paths: ['stocks'] }] }] }, 'file'),
    /starts with/,
  );
  assert.throws(
    () => plugin({ name: 'phantom-token', config: { introspection_endpoint: 'http://x', client_id: 'c' } }, 'plugin'),
    /missing required field "client_secret"/,
  );
  assert.throws(() => plugin({ name: 'cors', config: { origins: ['*'], credentials: 'false' } }, 'plugin'), /expected a boolean/);
  assert.throws(() => plugin({ name: 'rate-limiting', config: {} }, 'plugin'), /neither bundled/);
});

for (const [label, change] of [
  ['built-in server, https', {}],
  ['Curity, https', { curityLicenseKey: 'licence' }],
  ['Curity, http, no CORS origins', { curityLicenseKey: 'licence', scheme: 'http', corsOrigins: [] }],
] as const) {
  test(`the generated file follows Kong 3.9's schemas (${label})`, () => {
    const model = buildModel(parseStackConfig({ ...base, ...change }));
    const text = kongConfigYaml(model, upstreams, { gatewayClientSecret: 'secret-value' });
    declarative(parse(text), 'kong.yml');
  });
}
