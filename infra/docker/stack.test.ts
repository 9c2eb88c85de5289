import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { authorizationServerEnv, mcpServerEnv, stocksApiEnv } from '../environments.ts';
import { generateKongConfig } from '../kong/generate.ts';
import { buildModel, parseStackConfig, SECRET_NAMES, type StackConfigInput } from '../model.ts';
import { DATABASES, databaseInitScript, passwordVariable, postgresUrl } from '../postgres.ts';
import { IMAGES } from '../versions.ts';
import { ALIASES, BUILTIN_AUTHORIZATION_SERVER, dockerInternalAddresses, dockerUpstreams } from './addresses.ts';
import { installMocks, isSecretInput, plain, resolve, settled, STACK, type RecordedResource } from '../../test/support/pulumi-mocks.ts';

const CONTAINER = 'docker:index/container:Container';
const POSTGRES_INIT = `${ALIASES.postgres}-init`;
const dev: StackConfigInput = {
  domain: 'demo.example',
  scope: 'stocks/read',
  users: [
    { email: 'john.doe@demo.example', region: 'USA' },
    { email: 'jane.test@demo.example', region: 'Europe' },
  ],
};

let recorded: RecordedResource[];
// The stack module is imported after the mocks are in place, as a Pulumi program would be.
let Stack: typeof import('./stack.ts').McpSecuredApiStack;
before(async () => {
  recorded = await installMocks();
  Stack = (await import('./stack.ts')).McpSecuredApiStack;
});

interface Upload {
  file: string;
  content: string;
}
interface ContainerInputs {
  image: string;
  envs?: unknown;
  networksAdvanced: { name: string; aliases: string[] }[];
  ports?: { internal: number; external: number; ip: string }[];
  uploads?: unknown;
  healthcheck?: { tests: string[] };
  wait?: boolean;
}

/** Deploys one configuration under its own name and returns what the engine received. */
async function deploy(name: string, change: Partial<StackConfigInput> = {}, given: { licence?: string; smtpPassword?: string } = {}) {
  const model = buildModel(parseStackConfig({ ...dev, ...change }));
  const stack = new Stack(name, {
    model,
    ...(given.licence ? { curityLicenseKey: given.licence } : {}),
    ...(given.smtpPassword ? { smtpPassword: given.smtpPassword } : {}),
  });
  await settled();
  const resources = recorded.filter((r) => r.name === name || r.name.startsWith(`${name}-`));
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const containers = new Map(
    ofType(CONTAINER).map((r) => {
      const inputs = r.inputs as unknown as ContainerInputs;
      return [inputs.networksAdvanced[0]!.aliases[0]!, inputs];
    }),
  );
  const container = (alias: string) => {
    const c = containers.get(alias);
    assert.ok(c, `no container with alias ${alias}`);
    return c;
  };
  const env = (alias: string) =>
    Object.fromEntries(plain<string[]>(container(alias).envs).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const uploads = (alias: string) => plain<Upload[]>(container(alias).uploads ?? []);
  const secret = (key: string) => `random-${name}-secrets-${key}`;
  /** Where the gateway reaches the inbox: maildev's port and its random path. */
  const inbox = `http://maildev:1080/random-${name}-maildev-inboxPath/`;
  return { model, stack, resources, ofType, containers, container, env, uploads, secret, inbox };
}

test('https: every part runs on one network under its alias, built from pinned images', async () => {
  const d = await deploy('https');
  const networks = d.ofType('docker:index/network:Network');
  assert.equal(networks.length, 1);
  const networkName = (await resolve(d.stack.networkName)).value;

  assert.deepEqual(
    [...d.containers.keys()].sort(),
    [
      ALIASES.gateway,
      ALIASES.authorizationServer,
      ALIASES.maildev,
      ALIASES.mcpServer,
      ALIASES.stocksApi,
      ALIASES.postgres,
      POSTGRES_INIT,
    ].sort(),
  );
  for (const [alias, c] of d.containers) {
    assert.deepEqual(c.networksAdvanced, [{ name: networkName, aliases: [alias] }], alias);
    if (alias === POSTGRES_INIT) continue; // runs once and exits
    assert.equal(plain<{ tests: string[] }>(c.healthcheck).tests[0], 'CMD', alias);
    assert.equal(c.wait, true, alias);
  }
  // maildev serves the inbox only under a random path, which the gateway's configuration names.
  const maildev = d.container(ALIASES.maildev);
  assert.ok(isSecretInput(maildev.envs), "maildev's environment holds the inbox's path");
  assert.equal(d.env(ALIASES.maildev)['MAILDEV_BASE_PATHNAME'], `/random-https-maildev-inboxPath`);
  assert.match(
    plain<{ tests: string[] }>(maildev.healthcheck).tests.join(' '),
    /127\.0\.0\.1:1080\/random-https-maildev-inboxPath\/healthz/,
  );
  // Only the gateway is published, on loopback.
  assert.deepEqual(d.container(ALIASES.gateway).ports, [{ internal: 8443, external: 443, ip: '127.0.0.1' }]);
  for (const alias of [ALIASES.stocksApi, ALIASES.mcpServer, ALIASES.authorizationServer, ALIASES.maildev, ALIASES.postgres]) {
    assert.equal(d.container(alias).ports, undefined, alias);
  }

  const images = Object.fromEntries(d.ofType('docker:index/image:Image').map((r) => [r.name, r.inputs as Record<string, any>]));
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  for (const service of ['stocks-api', 'mcp-server', 'authorization-server']) {
    const image = images[`https-${service}-image`];
    assert.ok(image, service);
    assert.equal(image['imageName'], `mcp-secured-api/${service}:${STACK}`);
    assert.equal(image['skipPush'], true);
    assert.deepEqual(image['build'], {
      context: repoRoot,
      dockerfile: `${repoRoot}services/Dockerfile`,
      args: { SERVICE: service, NODE_IMAGE: IMAGES.node },
    });
    assert.equal(d.container(service).image, `sha256:https-${service}-image`);
  }
  const kongImage = images['https-gateway-image'];
  assert.deepEqual(kongImage?.['build'], {
    context: `${repoRoot}infra/kong/`,
    args: { KONG_IMAGE: IMAGES.kong, PHANTOM_TOKEN_VERSION: IMAGES.kongPhantomTokenPlugin, LUA_RESTY_JWT_VERSION: IMAGES.luaRestyJwt },
  });
  assert.equal(d.container(ALIASES.gateway).image, 'sha256:https-gateway-image');
  const pulled = new Map(d.ofType('docker:index/remoteImage:RemoteImage').map((r) => [r.inputs['name'], r.name]));
  assert.deepEqual([...pulled.keys()].sort(), [IMAGES.maildev, IMAGES.postgres].sort());
  assert.equal(d.container(ALIASES.maildev).image, `sha256:${pulled.get(IMAGES.maildev)}`);
  assert.equal(d.container(ALIASES.postgres).image, `sha256:${pulled.get(IMAGES.postgres)}`);
});

test('https: the gateway gets the generated configuration, the certificate and its key as uploads', async () => {
  const d = await deploy('tls');
  const gateway = d.container(ALIASES.gateway);
  assert.ok(isSecretInput(gateway.uploads), 'uploads carry the client secret and the private key: secret');
  const files = Object.fromEntries(d.uploads(ALIASES.gateway).map((u) => [u.file, u.content]));
  assert.deepEqual(Object.keys(files).sort(), [
    '/usr/local/kong/declarative/kong.yml',
    '/usr/local/kong/tls/server.crt',
    '/usr/local/kong/tls/server.key',
  ]);
  assert.deepEqual(
    parse(files['/usr/local/kong/declarative/kong.yml']!),
    generateKongConfig(d.model, dockerUpstreams(BUILTIN_AUTHORIZATION_SERVER, d.inbox), {
      gatewayClientSecret: d.secret('gatewayClientSecret'),
    }),
  );
  assert.match(files['/usr/local/kong/tls/server.crt']!, /BEGIN CERTIFICATE-----\ntls-tls-cert\n/);
  assert.match(files['/usr/local/kong/tls/server.key']!, /BEGIN PRIVATE KEY-----\ntls-tls-key\n/);

  const env = d.env(ALIASES.gateway);
  assert.equal(env['KONG_DATABASE'], 'off');
  assert.equal(env['KONG_DECLARATIVE_CONFIG'], '/usr/local/kong/declarative/kong.yml');
  assert.equal(env['KONG_PROXY_LISTEN'], '0.0.0.0:8443 http2 ssl');
  assert.equal(env['KONG_SSL_CERT'], '/usr/local/kong/tls/server.crt');
  assert.equal(env['KONG_SSL_CERT_KEY'], '/usr/local/kong/tls/server.key');
  assert.equal(env['KONG_PLUGINS'], 'bundled,phantom-token');
  assert.equal(env['KONG_NGINX_HTTP_LUA_SHARED_DICT'], 'phantom-token 10m');
  assert.equal(env['KONG_ADMIN_LISTEN'], 'off');

  const [request] = d.ofType('tls:index/certRequest:CertRequest');
  assert.deepEqual(request?.inputs['dnsNames'], ['api.demo.example', 'mcp.demo.example', 'login.demo.example', 'mail.demo.example']);
  const [ca] = d.ofType('tls:index/selfSignedCert:SelfSignedCert');
  assert.equal(ca?.inputs['isCaCertificate'], true);
  assert.ok((ca?.inputs['allowedUses'] as string[]).includes('certSigning'));
  const [cert] = d.ofType('tls:index/locallySignedCert:LocallySignedCert');
  assert.ok((cert?.inputs['allowedUses'] as string[]).includes('serverAuth'));
});

test('each service gets the environment its entry point reads; secrets are random and secret', async () => {
  const d = await deploy('env');
  assert.deepEqual(
    d
      .ofType('random:index/randomPassword:RandomPassword')
      .map((r) => r.name)
      .sort(),
    [
      ...SECRET_NAMES.map((k) => `env-secrets-${k}`),
      'env-postgres-superuser-password',
      `env-postgres-${DATABASES.authorizationServer}-password`,
      // The path maildev serves its inbox under.
      'env-maildev-inboxPath',
    ].sort(),
  );
  const secrets = {
    gatewayClientSecret: d.secret('gatewayClientSecret'),
    mcpClientSecret: d.secret('mcpClientSecret'),
    cookieSecret: d.secret('cookieSecret'),
    keyEncryptionKey: d.secret('keyEncryptionKey'),
  };
  const internal = dockerInternalAddresses(d.model, BUILTIN_AUTHORIZATION_SERVER);
  assert.deepEqual(d.env(ALIASES.stocksApi), stocksApiEnv(d.model, internal, 3000));
  assert.deepEqual(d.env(ALIASES.mcpServer), mcpServerEnv(d.model, internal, secrets, 3000));
  const databaseUrl = postgresUrl({
    host: ALIASES.postgres,
    port: 5432,
    database: DATABASES.authorizationServer,
    user: DATABASES.authorizationServer,
    password: `random-env-postgres-${DATABASES.authorizationServer}-password`,
  });
  assert.deepEqual(
    d.env(ALIASES.authorizationServer),
    authorizationServerEnv(d.model, internal, secrets, 8443, { databaseUrl, trustedProxies: [ALIASES.gateway] }),
  );
  assert.equal(d.env(ALIASES.authorizationServer)['TRUSTED_PROXIES'], 'api-gateway', "Kong's container, by its alias");
  assert.equal(d.env(ALIASES.authorizationServer)['SMTP_HOST'], ALIASES.maildev);
  assert.equal(d.env(ALIASES.authorizationServer)['CIMD_ALLOW_LOOPBACK'], 'false');

  assert.ok(isSecretInput(d.container(ALIASES.mcpServer).envs), 'the MCP server environment holds its client secret');
  assert.ok(isSecretInput(d.container(ALIASES.authorizationServer).envs), 'the authorization server environment holds client secrets');
  assert.ok(!isSecretInput(d.container(ALIASES.stocksApi).envs), 'the stocks API needs no secret');
});

test('outputs: public URLs, the /etc/hosts line, the CA certificate, and the admin password as a secret', async () => {
  const d = await deploy('outputs');
  assert.deepEqual(d.stack.endpoints, {
    mcpServer: 'https://mcp.demo.example/',
    resourceMetadata: 'https://mcp.demo.example/.well-known/oauth-protected-resource',
    stocksApi: 'https://api.demo.example/stocks',
    issuer: 'https://login.demo.example/oauth/v2/oauth-anonymous',
    authorizationServerMetadata: 'https://login.demo.example/.well-known/oauth-authorization-server/oauth/v2/oauth-anonymous',
    mailInbox: 'https://mail.demo.example/',
  });
  assert.equal(d.stack.hostsLine, '127.0.0.1 api.demo.example mcp.demo.example login.demo.example mail.demo.example');
  const ca = await resolve(d.stack.caCertificate);
  assert.match(ca.value ?? '', /BEGIN CERTIFICATE-----\noutputs-tls-ca\n/);
  assert.equal(ca.secret, false, 'the CA certificate is public');
  const admin = await resolve(d.stack.adminPassword);
  assert.equal(admin.value, d.secret('adminPassword'));
  assert.equal(admin.secret, true);
});

test('http: no certificate, the gateway on port 80, http URLs everywhere', async () => {
  const d = await deploy('plain', { scheme: 'http' });
  assert.equal(d.resources.filter((r) => r.type.startsWith('tls:')).length, 0);
  assert.deepEqual(d.container(ALIASES.gateway).ports, [{ internal: 8000, external: 80, ip: '127.0.0.1' }]);
  const env = d.env(ALIASES.gateway);
  assert.equal(env['KONG_PROXY_LISTEN'], '0.0.0.0:8000');
  assert.equal(env['KONG_SSL_CERT'], undefined);
  assert.deepEqual(
    d.uploads(ALIASES.gateway).map((u) => u.file),
    ['/usr/local/kong/declarative/kong.yml'],
  );
  assert.ok(isSecretInput(d.container(ALIASES.gateway).uploads), 'the Kong file holds the client secret');
  assert.equal((await resolve(d.stack.caCertificate)).value, undefined);
  assert.equal(d.stack.endpoints.mcpServer, 'http://mcp.demo.example/');
  assert.equal(d.env(ALIASES.mcpServer)['PUBLIC_ORIGIN'], 'http://mcp.demo.example');
});

test('another domain, scope and users reach every container and output consistently', async () => {
  const d = await deploy('acme', {
    domain: 'acme.test',
    scope: 'prices/read',
    users: [{ email: 'ann@acme.test', region: 'Asia' }],
  });
  assert.equal(d.stack.hostsLine, '127.0.0.1 api.acme.test mcp.acme.test login.acme.test mail.acme.test');
  const kong = parse(d.uploads(ALIASES.gateway).find((u) => u.file.endsWith('kong.yml'))!.content);
  const hosts = kong.services.flatMap((s: { routes: { hosts: string[] }[] }) => s.routes.flatMap((r) => r.hosts));
  assert.ok(hosts.every((h: string) => h.endsWith('.acme.test')));
  const as = d.env(ALIASES.authorizationServer);
  assert.equal(as['SCOPE'], 'prices/read');
  assert.deepEqual(JSON.parse(as['USERS']!), [{ email: 'ann@acme.test', region: 'Asia' }]);
  assert.equal(d.env(ALIASES.stocksApi)['REQUIRED_SCOPE'], 'prices/read');
  assert.equal(d.env(ALIASES.mcpServer)['REQUIRED_SCOPE'], 'prices/read');
  assert.equal(d.env(ALIASES.mcpServer)['RESOURCE'], 'https://mcp.acme.test/');
  const [request] = d.ofType('tls:index/certRequest:CertRequest');
  assert.deepEqual(request?.inputs['dnsNames'], ['api.acme.test', 'mcp.acme.test', 'login.acme.test', 'mail.acme.test']);
});

test('mail through a relay: no inbox runs or is routed, and the authorization server sends to the relay with its password as a secret', async () => {
  const relay = { mailInbox: false, smtp: { host: 'smtp.acme.test', port: 465, security: 'tls', user: 'codes' } } as const;
  const d = await deploy('relay', relay, { smtpPassword: 'relay-password' });
  assert.ok(!d.containers.has(ALIASES.maildev), 'no maildev container');
  assert.equal(d.stack.endpoints.mailInbox, undefined);
  assert.equal(d.stack.hostsLine, '127.0.0.1 api.demo.example mcp.demo.example login.demo.example');
  const kong = parse(d.uploads(ALIASES.gateway).find((u) => u.file.endsWith('kong.yml'))!.content);
  assert.deepEqual(
    kong,
    generateKongConfig(d.model, dockerUpstreams(BUILTIN_AUTHORIZATION_SERVER, undefined), {
      gatewayClientSecret: d.secret('gatewayClientSecret'),
    }),
  );
  assert.ok(!JSON.stringify(kong).includes('maildev'), 'the gateway knows no inbox');
  const as = d.env(ALIASES.authorizationServer);
  assert.equal(as['SMTP_HOST'], 'smtp.acme.test');
  assert.equal(as['SMTP_PORT'], '465');
  assert.equal(as['SMTP_SECURITY'], 'tls');
  assert.equal(as['SMTP_USER'], 'codes');
  assert.equal(as['SMTP_PASSWORD'], 'relay-password');
  assert.ok(isSecretInput(d.container(ALIASES.authorizationServer).envs), "the relay's password travels as a secret");

  // Curity's generated configuration names the relay instead of the inbox.
  const curity = await deploy('relay-curity', { ...relay, curityLicenseKey: 'licence' }, { licence: 'licence' });
  assert.ok(!curity.containers.has(ALIASES.maildev));
  const files = curity
    .uploads('curity')
    .map((u) => u.content)
    .join('\n');
  assert.match(files, /smtp\.acme\.test/);
  assert.doesNotMatch(files, /maildev/);
});

test('Curity: deployed in place of the built-in server, with the admin host routed', async () => {
  const model = buildModel(parseStackConfig({ ...dev, curityLicenseKey: 'licence' }));
  assert.throws(() => new Stack('no-licence', { model }), /no licence/);

  const d = await deploy('curity', { curityLicenseKey: 'licence' }, { licence: 'licence' });
  assert.ok(!d.containers.has(ALIASES.authorizationServer), 'no built-in server beside Curity');
  assert.ok(d.containers.has('curity'));
  assert.equal(d.stack.hostsLine, '127.0.0.1 api.demo.example mcp.demo.example login.demo.example admin.demo.example mail.demo.example');
  assert.equal(d.stack.endpoints.adminUi, 'https://admin.demo.example/admin');
  const kong = parse(d.uploads(ALIASES.gateway).find((u) => u.file.endsWith('kong.yml'))!.content);
  assert.deepEqual(
    kong,
    generateKongConfig(d.model, dockerUpstreams({ runtime: 'http://curity:8443', admin: 'http://curity:6749' }, d.inbox), {
      gatewayClientSecret: d.secret('gatewayClientSecret'),
    }),
  );
  const internal = dockerInternalAddresses(d.model, { runtime: 'http://curity:8443' });
  assert.deepEqual(d.env(ALIASES.stocksApi), stocksApiEnv(d.model, internal, 3000));
  assert.equal(d.env(ALIASES.mcpServer)['TOKEN_ENDPOINT'], 'http://curity:8443/oauth/v2/oauth-token');
  const [request] = d.ofType('tls:index/certRequest:CertRequest');
  assert.ok((request?.inputs['dnsNames'] as string[]).includes('admin.demo.example'));
});

test('Curity: on PostgreSQL, its schema and users created by an init step that runs before it, its keys and secrets from Pulumi', async () => {
  const d = await deploy('cpg', { curityLicenseKey: 'licence' }, { licence: 'licence' });
  // PostgreSQL, with Curity's database (and not the built-in server's).
  assert.deepEqual(d.uploads(POSTGRES_INIT), [{ file: '/init/databases.sql', content: databaseInitScript([DATABASES.curity]) }]);
  const curityPassword = `random-cpg-postgres-${DATABASES.curity}-password`;
  assert.equal(d.env(POSTGRES_INIT)[passwordVariable(DATABASES.curity)], curityPassword);

  // Order: the database's init step, then Curity's init step, then Curity (each waits for the one before).
  const order = d.ofType(CONTAINER).map((r) => (r.inputs as unknown as ContainerInputs).networksAdvanced[0]!.aliases[0]);
  assert.ok(order.indexOf(POSTGRES_INIT) < order.indexOf('curity-init'), 'the database exists before Curity’s init step');
  assert.ok(order.indexOf('curity-init') < order.indexOf('curity'), 'Curity starts after its init step');
  assert.ok(order.indexOf('curity') < order.indexOf(ALIASES.gateway), 'the gateway last');
  const init = d.container('curity-init') as unknown as ContainerInputs & { attach: boolean; command: string[] };
  assert.equal(init.attach, true);
  assert.match(init.command.join(' '), /\nidsvr -I\n.*\nidsvr -L default\n.*\nidsvr -L \.\/model-users\.xml\n/s);
  assert.equal(d.env('curity-init')['JDBC_URL'], 'jdbc:postgresql://postgres:5432/curity');
  assert.equal(d.env('curity-init')['JDBC_PASSWORD'], curityPassword);

  // The XML: a PostgreSQL data source and the signing key under <crypto>, both as parameters.
  const xml = d.uploads('curity').find((u) => u.file.endsWith('.xml'))!.content;
  assert.match(xml, /<driver>org\.postgresql\.Driver<\/driver>/);
  assert.match(xml, /<connection-string>#\{DB_CONNECTION\}<\/connection-string>/);
  assert.match(
    xml,
    /<crypto>\s*<signing-keys>\s*<signing-key>\s*<id>default-signing-key<\/id>\s*<curve-name>P-256<\/curve-name>\s*<keystore>#\{SIGNING_KEY\}<\/keystore>/,
  );

  // Every secret is generated by Pulumi, reaches Curity only through its secret environment, and is in no file.
  const curity = d.container('curity');
  assert.ok(isSecretInput(curity.envs) && isSecretInput(init.envs));
  const env = d.env('curity');
  assert.equal(env['PASSWORD'], undefined, 'no first-run installer');
  assert.equal(env['DB_PASSWORD'], curityPassword);
  assert.match(env['SIGNING_KEY_PEM'] ?? '', /cpg-curity-signing-key/, 'the key from @pulumi/tls');
  assert.match(env['SYMMETRIC_KEY'] ?? '', /^[0-9a-f]{64}$/);
  for (const name of ['ADMIN_PASSWORD', 'GATEWAY_CLIENT_SECRET', 'MCP_CLIENT_SECRET']) assert.match(env[name] ?? '', /^\$5\$/, name);
  for (const upload of d.uploads('curity')) {
    for (const secret of [
      d.secret('adminPassword'),
      d.secret('gatewayClientSecret'),
      d.secret('mcpClientSecret'),
      curityPassword,
      'licence',
    ]) {
      assert.ok(!upload.content.includes(secret), `${upload.file} holds no secret`);
    }
  }

  // The gateway's file: no YAML anchors or aliases.
  const kong = d.uploads(ALIASES.gateway).find((u) => u.file.endsWith('kong.yml'))!.content;
  assert.doesNotMatch(kong, /(^|\s)[&*][A-Za-z0-9]+/m);
});

test('the built-in authorization server keeps its state in PostgreSQL: a volume, generated passwords, its own database', async () => {
  const d = await deploy('db');
  const server = d.container(ALIASES.postgres);
  const [volume] = d.ofType('docker:index/volume:Volume');
  assert.ok(volume, 'the data lives on a named volume');
  assert.deepEqual((server as unknown as { volumes: unknown[] }).volumes, [
    { volumeName: `${volume.name}-volume`, containerPath: '/var/lib/postgresql/data' },
  ]);
  assert.ok(isSecretInput(server.envs), "the server's environment holds the superuser password");
  assert.equal(d.env(ALIASES.postgres)['POSTGRES_PASSWORD'], 'random-db-postgres-superuser-password');
  assert.deepEqual(server.healthcheck?.tests, ['CMD', 'pg_isready', '-h', '127.0.0.1', '-U', 'postgres']);

  // The databases are created by a one-off container that runs the generated, idempotent script.
  const init = d.container(POSTGRES_INIT) as unknown as ContainerInputs & { attach: boolean; mustRun: boolean; command: string[] };
  assert.equal(init.attach, true);
  assert.equal(init.mustRun, false);
  assert.deepEqual(d.uploads(POSTGRES_INIT), [
    { file: '/init/databases.sql', content: databaseInitScript([DATABASES.authorizationServer]) },
  ]);
  assert.ok(isSecretInput(init.envs));
  const initEnv = d.env(POSTGRES_INIT);
  assert.equal(initEnv['PGPASSWORD'], 'random-db-postgres-superuser-password');
  assert.equal(initEnv[passwordVariable(DATABASES.authorizationServer)], `random-db-postgres-${DATABASES.authorizationServer}-password`);

  const as = d.container(ALIASES.authorizationServer);
  assert.ok(isSecretInput(as.envs), 'DATABASE_URL holds a password');
  assert.equal(
    d.env(ALIASES.authorizationServer)['DATABASE_URL'],
    `postgres://${DATABASES.authorizationServer}:random-db-postgres-${DATABASES.authorizationServer}-password@postgres:5432/${DATABASES.authorizationServer}`,
  );
});
