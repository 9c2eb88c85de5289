import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import { verify } from 'unixcrypt';
import { CURITY_ENV, curityInitStep, curityServerStart } from '../curity/commands.ts';
import { CONFIG_PATH, CURITY_PARAMETERS, generateCurityConfig } from '../curity/config.ts';
import { USERS_CHANGELOG_PATH } from '../curity/users.ts';
import { buildModel, parseStackConfig } from '../model.ts';
import { IMAGES } from '../versions.ts';
import { installMocks, isSecretInput, plain, resolve, settled, type RecordedResource } from '../../test/support/pulumi-mocks.ts';
import type { DatabaseAccess } from './postgres.ts';

const CONTAINER = 'docker:index/container:Container';

let recorded: RecordedResource[];
let CurityServer: typeof import('./curity.ts').CurityServer;
before(async () => {
  recorded = await installMocks();
  // Imported after the mocks, as a Pulumi program would be.
  CurityServer = (await import('./curity.ts')).CurityServer;
});

const model = buildModel(
  parseStackConfig({
    domain: 'demo.example',
    scope: 'stocks/read',
    users: [{ email: 'john.doe@demo.example', region: 'USA' }],
    curityLicenseKey: 'licence-from-config',
  }),
);
const smtp = { host: 'maildev', port: 1025 };

/** A database whose `ready` the test resolves, as the PostgreSQL component does once its init step ran. */
function database(): { access: DatabaseAccess; markReady: () => void } {
  let markReady!: () => void;
  const ready = pulumi.output(new Promise<true>((done) => (markReady = () => done(true))));
  const password = pulumi.secret('db-password');
  return {
    markReady,
    access: { host: 'postgres', port: 5432, database: 'curity', user: 'curity', password, url: pulumi.secret('postgres://…'), ready },
  };
}

const secrets = {
  adminPassword: pulumi.secret('admin-pw'),
  gatewayClientSecret: pulumi.secret('gateway-secret'),
  mcpClientSecret: pulumi.secret('mcp-secret'),
};

describe('CurityServer', () => {
  let server: InstanceType<typeof CurityServer>;
  let init: Record<string, unknown>;
  let container: Record<string, unknown>;
  const ofComponent = () => recorded.filter((r) => r.name.startsWith('curity'));

  before(async () => {
    const db = database();
    server = new CurityServer('curity', {
      model,
      networkName: 'stack-network',
      secrets,
      licenseKey: pulumi.secret('LICENCE-KEY'),
      smtp,
      database: db.access,
    });
    // Until the database exists, neither the init step nor the server is created.
    await new Promise((done) => setTimeout(done, 50));
    assert.deepEqual(
      ofComponent().filter((r) => r.type === CONTAINER),
      [],
      'no Curity container before the database is ready',
    );
    db.markReady();
    await settled();
    const containers = ofComponent().filter((r) => r.type === CONTAINER);
    assert.deepEqual(
      containers.map((c) => c.name),
      ['curity-init', 'curity'],
      'the init step, then the server (registered only once the init step exited 0)',
    );
    [init, container] = containers.map((c) => c.inputs) as [Record<string, unknown>, Record<string, unknown>];
  });

  const envOf = (inputs: Record<string, unknown>) =>
    Object.fromEntries(plain<string[]>(inputs.envs).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));

  it('runs both containers from the pinned Curity image', () => {
    const [image] = ofComponent().filter((r) => r.type === 'docker:index/remoteImage:RemoteImage');
    assert.equal(image?.inputs['name'], IMAGES.curity);
    assert.equal(init.image, 'sha256:curity-image');
    assert.equal(container.image, 'sha256:curity-image');
  });

  it('creates the schema and seeds the users in a one-off container with Curity’s commands', () => {
    assert.equal(init.attach, true);
    assert.equal(init.mustRun, false);
    assert.equal(init.restart, 'no');
    const step = curityInitStep(model);
    assert.deepEqual(init.command, step.command);
    assert.deepEqual(init.uploads, [{ file: USERS_CHANGELOG_PATH, content: step.files[0]?.content }]);
    assert.ok(isSecretInput(init.envs));
    const env = envOf(init);
    assert.deepEqual(Object.keys(env).sort(), [...step.environment].sort());
    assert.equal(env[CURITY_ENV.jdbcUrl], 'jdbc:postgresql://postgres:5432/curity');
    assert.equal(env[CURITY_ENV.jdbcUsername], 'curity');
    assert.equal(env[CURITY_ENV.jdbcPassword], 'db-password');
  });

  it('uploads the generated XML and procedures exactly as generated, with no secret in them', () => {
    const uploads = container.uploads as { file: string; content: string }[];
    assert.deepEqual(
      uploads,
      generateCurityConfig(model, { smtp }).files.map((f) => ({ file: f.path, content: f.content })),
    );
    assert.ok(uploads.some((u) => u.file === CONFIG_PATH));
    for (const u of uploads) {
      for (const secret of ['LICENCE-KEY', 'admin-pw', 'gateway-secret', 'mcp-secret', 'db-password', 'PRIVATE KEY']) {
        assert.ok(!u.content.includes(secret), `${u.file} must not hold a secret`);
      }
    }
  });

  it('gives the server every parameter its XML names, each generated here and secret', () => {
    assert.ok(isSecretInput(container.envs), 'the environment is a Pulumi secret');
    const env = envOf(container);
    const start = curityServerStart();
    assert.deepEqual(container.command, start.command);
    for (const name of start.environment) assert.ok(env[name], `${name} is set`);
    // SIGNING_KEY is made from the PEM by the start command; every other parameter is given.
    for (const name of generateCurityConfig(model, { smtp }).parameters) {
      assert.ok(env[name] || name === CURITY_PARAMETERS.signingKey, `${name} is set`);
    }
    assert.equal(env.LICENSE_KEY, 'LICENCE-KEY');
    assert.equal(env.PASSWORD, undefined, 'no first-run installer');
    assert.equal(env.DB_CONNECTION, 'jdbc:postgresql://postgres:5432/curity');
    assert.equal(env.DB_USER, 'curity');
    assert.equal(env.DB_PASSWORD, 'db-password');
    assert.match(env.SYMMETRIC_KEY ?? '', /^[0-9a-f]{64}$/);
    assert.match(env[CURITY_ENV.signingKeyPem] ?? '', /BEGIN PRIVATE KEY/);
    assert.match(env[CURITY_ENV.signingCertificatePem] ?? '', /BEGIN CERTIFICATE/);
  });

  it('hashes the admin password and client secrets as SHA-256 crypt of the generated secrets', () => {
    const env = envOf(container);
    for (const [name, secret] of [
      ['ADMIN_PASSWORD', 'admin-pw'],
      ['GATEWAY_CLIENT_SECRET', 'gateway-secret'],
      ['MCP_CLIENT_SECRET', 'mcp-secret'],
    ] as const) {
      assert.match(env[name] ?? '', /^\$5\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{43}$/, name);
      assert.ok(verify(secret, env[name]!), `${name} is the hash of its secret`);
    }
    assert.notEqual(env.GATEWAY_CLIENT_SECRET?.split('$')[2], env.MCP_CLIENT_SECRET?.split('$')[2], 'one salt per secret');
  });

  it('generates a P-256 signing key for the default ES256 and its certificate with Pulumi, kept secret', () => {
    const [key] = ofComponent().filter((r) => r.type === 'tls:index/privateKey:PrivateKey');
    assert.deepEqual([key?.inputs['algorithm'], key?.inputs['ecdsaCurve']], ['ECDSA', 'P256']);
    const [certificate] = ofComponent().filter((r) => r.type === 'tls:index/selfSignedCert:SelfSignedCert');
    assert.ok(certificate, 'a certificate for the key (Curity keystores hold key and certificate)');
    assert.deepEqual(
      ofComponent()
        .filter((r) => r.type.startsWith('random:'))
        .map((r) => r.name)
        .sort(),
      ['curity-adminPassword-salt', 'curity-gatewayClientSecret-salt', 'curity-mcpClientSecret-salt', 'curity-symmetric-key'],
    );
  });

  it('joins the network as curity, checks the status port and restarts', async () => {
    assert.deepEqual(container.networksAdvanced, [{ name: 'stack-network', aliases: ['curity'] }]);
    assert.deepEqual(init.networksAdvanced, [{ name: 'stack-network', aliases: ['curity-init'] }]);
    const healthcheck = container.healthcheck as { tests: string[] };
    assert.match(healthcheck.tests.join(' '), /\/dev\/tcp\/127\.0\.0\.1\/4465/);
    assert.equal(container.restart, 'unless-stopped');
    assert.equal(container.wait, true);
    assert.equal((await resolve(server.runtimeUrl)).value, 'http://curity:8443');
    assert.equal((await resolve(server.adminUrl)).value, 'http://curity:6749');
  });
});
