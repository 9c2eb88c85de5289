import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import { CONFIG_PATH, generateCurityConfig } from '../curity/config.ts';
import { USERS_CHANGELOG_PATH } from '../curity/users.ts';
import { buildModel, parseStackConfig, PROJECT } from '../model.ts';
import { IMAGES } from '../versions.ts';

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const recorded: Recorded[] = [];

let CurityServer: typeof import('./curity.ts').CurityServer;
before(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
        const computed: Record<string, unknown> =
          args.type === 'docker:index/remoteImage:RemoteImage'
            ? { imageId: `sha256:${args.name}` }
            : args.type === 'random:index/randomId:RandomId'
              ? { hex: 'ab'.repeat(32) }
              : {};
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computed } };
      },
      call: (args) => args.inputs,
    },
    PROJECT,
    'test',
    false,
  );
  // Imported after the mocks, as a Pulumi program would be.
  CurityServer = (await import('./curity.ts')).CurityServer;
});

async function settled(): Promise<void> {
  const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
  assert.ok(waitForRPCs, '@pulumi/pulumi exports runtime.waitForRPCs');
  await waitForRPCs();
}

const value = <T>(output: pulumi.Output<T>) => new Promise<T>((done) => output.apply((v) => done(v)));

const model = buildModel(
  parseStackConfig({
    domain: 'demo.example',
    scope: 'stocks/read',
    users: [{ email: 'john.doe@demo.example', region: 'USA' }],
    curityLicenseKey: 'licence-from-config',
  }),
);
const smtp = { host: 'maildev', port: 1025 };

describe('CurityServer', () => {
  let container: Record<string, unknown>;
  let image: Record<string, unknown>;
  let server: InstanceType<typeof CurityServer>;

  before(async () => {
    server = new CurityServer('curity', {
      model,
      networkName: 'stack-network',
      secrets: {
        adminPassword: pulumi.secret('admin-pw'),
        gatewayClientSecret: pulumi.secret('gateway-secret'),
        mcpClientSecret: pulumi.secret('mcp-secret'),
      },
      licenseKey: pulumi.secret('LICENCE-KEY'),
      smtp,
    });
    await settled();
    const one = (type: string) => {
      const found = recorded.filter((r) => r.type === type);
      assert.equal(found.length, 1, type);
      return found[0]!.inputs;
    };
    container = one('docker:index/container:Container');
    image = one('docker:index/remoteImage:RemoteImage');
  });

  const envs = () => {
    const list = pulumi.runtime.unwrapRpcSecret(container.envs) as string[];
    return Object.fromEntries(list.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  };

  it('pulls the pinned image and runs it', () => {
    assert.equal(image.name, IMAGES.curity);
    assert.match(IMAGES.curity, /^curity\.azurecr\.io\/curity\/idsvr:\d+\.\d+\.\d+$/);
    assert.equal(container.image, 'sha256:curity-image');
  });

  it('uploads the generated XML, procedures and users exactly as generated', () => {
    const uploads = container.uploads as { file: string; content: string }[];
    const expected = generateCurityConfig(model, { smtp }).files.map((f) => ({ file: f.path, content: f.content }));
    assert.deepEqual(uploads, expected);
    assert.ok(uploads.some((u) => u.file === CONFIG_PATH));
    assert.ok(uploads.some((u) => u.file === USERS_CHANGELOG_PATH));
    assert.equal(uploads.filter((u) => u.file.endsWith('.js')).length, 3);
    for (const u of uploads) {
      for (const secret of ['LICENCE-KEY', 'admin-pw', 'gateway-secret', 'mcp-secret']) {
        assert.ok(!u.content.includes(secret), `${u.file} must not hold a secret`);
      }
    }
  });

  it('passes the licence and every secret as a secret environment', () => {
    assert.ok(pulumi.runtime.isRpcSecret(container.envs), 'the environment is a Pulumi secret');
    const env = envs();
    assert.equal(env.LICENSE_KEY, 'LICENCE-KEY');
    assert.equal(env.ADMIN, 'true');
    assert.equal(env.PASSWORD, 'admin-pw');
    // Clear text marked for Curity to hash on load.
    assert.equal(env.ADMIN_PASSWORD, '$0$admin-pw');
    assert.equal(env.GATEWAY_CLIENT_SECRET, '$0$gateway-secret');
    assert.equal(env.MCP_CLIENT_SECRET, '$0$mcp-secret');
    assert.match(env.SYMMETRIC_KEY ?? '', /^[0-9a-f]{64}$/);
  });

  it('gives Curity every parameter its XML names, or it would stop at boot', () => {
    const env = envs();
    for (const name of generateCurityConfig(model, { smtp }).parameters) {
      assert.ok(env[name], `${name} is set`);
    }
  });

  it('loads the users before starting the server', () => {
    const command = (container.command as string[]).join(' ');
    assert.match(command, /idsvr -L \.\/model-users\.xml && exec idsvr$/);
    assert.match(envs().JDBC_URL ?? '', /^jdbc:hsqldb:file:/);
  });

  it('joins the network as curity, checks the status port and restarts', async () => {
    assert.deepEqual(container.networksAdvanced, [{ name: 'stack-network', aliases: ['curity'] }]);
    const healthcheck = container.healthcheck as { tests: string[] };
    assert.match(healthcheck.tests.join(' '), /\/dev\/tcp\/127\.0\.0\.1\/4465/);
    assert.equal(container.restart, 'unless-stopped');
    assert.equal(container.wait, true);
    assert.equal(await value(server.runtimeUrl), 'http://curity:8443');
    assert.equal(await value(server.adminUrl), 'http://curity:6749');
  });
});
