import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { authorizationServerEnv, stocksApiEnv } from '../../infra/environments.ts';
import { buildModel, parseStackConfig } from '../../infra/model.ts';
import { freePorts } from '../../infra/local/ports.ts';
import { runEntryPoint } from '../../test/support/entry-point.ts';
import { configFromEnv, AuthorizationServerEnvironmentError } from './env.ts';
import { AS_PATHS } from '@mcp-secured-api/contracts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const stack = { domain: 'demo.example', scope: 'stocks/read', users: [{ email: 'John.Doe@demo.example', region: 'USA' }] };
const model = buildModel(parseStackConfig(stack));
const secrets = {
  gatewayClientSecret: 'gateway-secret-0123456789',
  mcpClientSecret: 'mcp-secret-0123456789abc',
  cookieSecret: 'cookie-secret-0123456789abcdef-0123456789',
  keyEncryptionKey: 'key-encryption-key-0123456789abcdef-01234',
};
const internal = {
  authorizationServer: 'http://login-server:8443',
  stocksApi: 'http://stocks-api:3000',
  smtp: { host: '127.0.0.1', port: 9 },
};
const env = authorizationServerEnv(model, internal, secrets, 8443, { databaseUrl: 'memory://' });

test('the configuration comes from exactly the variables the deployment sets', () => {
  const { port, config } = configFromEnv(env);
  assert.equal(port, 8443);
  assert.equal(config.issuer, model.issuer);
  assert.equal(config.loginOrigin, model.origins.login);
  assert.equal(config.mcpResource, model.mcpResource);
  assert.equal(config.apiAudience, model.apiAudience);
  assert.equal(config.organizationName, 'demo.example', 'the domain when organizationName is not set');
  assert.equal(config.resourceName, model.resourceName);
  assert.deepEqual(config.users, [{ email: 'john.doe@demo.example', region: 'USA' }]);
  assert.deepEqual(config.clients, {
    gateway: { id: model.clients.gateway.id, secret: secrets.gatewayClientSecret },
    mcpServer: { id: model.clients.mcpServer.id, secret: secrets.mcpClientSecret },
  });
  assert.equal(config.clientMetadata.allowLoopback, false);
  assert.equal(config.keyEncryptionKey, secrets.keyEncryptionKey);
  assert.equal(config.refreshTokenTtlSeconds, 86_400);
  assert.equal(config.signingAlgorithm, 'ES256', 'the stack default');
  const eddsa = buildModel(parseStackConfig({ ...stack, tokenSigningAlgorithm: 'EdDSA' }));
  const eddsaEnv = authorizationServerEnv(eddsa, internal, secrets, 8443, { databaseUrl: 'memory://' });
  assert.equal(configFromEnv(eddsaEnv).config.signingAlgorithm, 'EdDSA');
  assert.equal(stocksApiEnv(eddsa, internal, 3000).JWT_ALGORITHMS, 'EdDSA', 'the resource servers accept what the server signs');
  assert.deepEqual(config.trustProxy, [], 'no X-Forwarded-For is believed unless the deployment names its gateway');
  assert.deepEqual(configFromEnv({ ...env, TRUSTED_PROXIES: '10.0.0.5, 10.1.0.0/16,api-gateway' }).config.trustProxy, [
    '10.0.0.5',
    '10.1.0.0/16',
    'api-gateway',
  ]);
  assert.equal(configFromEnv(env).listenAddress, undefined, 'every interface unless told');
  assert.equal(configFromEnv({ ...env, LISTEN_ADDRESS: '127.0.0.1' }).listenAddress, '127.0.0.1');
  assert.equal(configFromEnv({ ...env, CIMD_ALLOW_LOOPBACK: 'true' }).config.clientMetadata.allowLoopback, true);
});

test('bad variables are named', () => {
  const problems = (overrides: Record<string, string | undefined>) => {
    try {
      configFromEnv({ ...env, ...overrides });
    } catch (error) {
      assert.ok(error instanceof AuthorizationServerEnvironmentError);
      return error.message;
    }
    assert.fail('accepted');
  };
  assert.match(problems({ SMTP_PORT: 'abc' }), /SMTP_PORT must be a number/);
  assert.match(problems({ SMTP_HOST: undefined }), /SMTP_HOST is required/);
  assert.match(problems({ GATEWAY_CLIENT_ID: '' }), /GATEWAY_CLIENT_ID must not be empty/);
  assert.match(problems({ ISSUER: 'https://elsewhere.example/oauth/v2/oauth-anonymous' }), /ISSUER must be the login origin/);
  assert.match(problems({ LOGIN_ORIGIN: 'https://login.demo.example/path' }), /LOGIN_ORIGIN must be an origin/);
  assert.match(problems({ USERS: 'not json' }), /USERS must be a JSON array/);
  assert.match(problems({ USERS: '[{"email":"nope","region":"USA"}]' }), /USERS\[0\.email\]/);
  assert.match(problems({ COOKIE_SECRET: 'short' }), /COOKIE_SECRET must be at least 32 characters/);
  assert.match(problems({ CIMD_ALLOW_LOOPBACK: 'yes' }), /CIMD_ALLOW_LOOPBACK must be "true" or "false"/);
  assert.match(problems({ KEY_ENCRYPTION_KEY: 'short' }), /KEY_ENCRYPTION_KEY must be at least 32 characters/);
  assert.match(problems({ DATABASE_URL: undefined }), /DATABASE_URL is required/);
  assert.match(problems({ DATABASE_URL: 'mysql://db/x' }), /DATABASE_URL must be postgres:\/\/.*file:.*memory:\/\//);
  assert.match(problems({ REFRESH_TOKEN_TTL_SECONDS: '-1' }), /REFRESH_TOKEN_TTL_SECONDS/);
  assert.match(problems({ SMTP_SECURITY: 'ssl' }), /SMTP_SECURITY must be "none", "starttls" or "tls"/);
  assert.match(problems({ SMTP_PASSWORD: 'relay-password' }), /SMTP_USER has a password but no user/);
  assert.match(problems({ TRUSTED_PROXIES: '10.0.0.5,10.0.0.0/33' }), /TRUSTED_PROXIES must be an IP address .*, a CIDR range/);
  assert.match(problems({ TRUSTED_PROXIES: 'http://gateway' }), /TRUSTED_PROXIES must be an IP address/);
  assert.match(problems({ LISTEN_ADDRESS: 'localhost' }), /LISTEN_ADDRESS must be an IP address/);
  assert.match(problems({ INTROSPECTION_CACHE_SECONDS: '0' }), /INTROSPECTION_CACHE_SECONDS/);
  assert.match(problems({ EXCHANGED_TOKEN_ENTRIES: '-1' }), /EXCHANGED_TOKEN_ENTRIES/);
  assert.equal(configFromEnv({ ...env, EXCHANGED_TOKEN_ENTRIES: '0' }).config.exchangedTokenEntries, 0);
  assert.match(problems({ SIGNING_ALGORITHM: 'RS256' }), /SIGNING_ALGORITHM must be "ES256", "EdDSA" or "PS256"/);
});

test('a mail relay: its security and credentials from the deployment, the test inbox without either', () => {
  assert.deepEqual(configFromEnv(env).config.smtp, { host: '127.0.0.1', port: 9, from: 'no-reply@demo.example', security: 'none' });
  const relayEnv = authorizationServerEnv(
    model,
    {
      authorizationServer: 'http://login-server:8443',
      stocksApi: 'http://stocks-api:3000',
      smtp: {
        host: 'smtp.example.com',
        port: 587,
        security: 'starttls',
        user: 'mailer',
        password: 'relay-password',
        from: 'codes@example.com',
      },
    },
    secrets,
    8443,
    { databaseUrl: 'memory://' },
  );
  assert.deepEqual(configFromEnv(relayEnv).config.smtp, {
    host: 'smtp.example.com',
    port: 587,
    from: 'codes@example.com',
    security: 'starttls',
    user: 'mailer',
    password: 'relay-password',
  });
});

test('the entry point refuses a bad environment, naming the variable and never a secret', () => {
  const result = runEntryPoint(main, { ...env, PORT: '0', MCP_CLIENT_SECRET: 'short-secret' });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /MCP_CLIENT_SECRET must be at least 16 characters/);
  assert.doesNotMatch(result.stderr + result.stdout, /short-secret/);
});

test('a database out of reach at start stops the entry point, naming where it is and never the password', async () => {
  const [port] = await freePorts(1);
  const result = runEntryPoint(main, {
    ...env,
    PORT: '0',
    DATABASE_URL: `postgres://as:s3cret-password@127.0.0.1:${port}/authorization_server`,
  });
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    new RegExp(`Cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port} \\(database authorization_server\\): .*ECONNREFUSED`),
  );
  assert.doesNotMatch(result.stderr + result.stdout, /s3cret-password/);
});

test('the entry point serves health and metadata, rotates its key on SIGUSR2 and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} within 20 s:\n${output}`)), 20_000);
      const check = () => {
        const match = pattern.exec(output);
        if (match) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve(match);
        }
      };
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        check();
      });
      check();
    });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const port = (await waitFor(/listening on port (\d+)/))[1];
    const url = `http://127.0.0.1:${port}`;
    const health = await fetch(`${url}/health`);
    assert.deepEqual(await health.json(), { status: 'ok' });
    assert.equal(health.headers.get('keep-alive'), 'timeout=65', "kept-alive connections outlive the callers' idle time");
    const metadata = (await (await fetch(`${url}/.well-known/oauth-authorization-server${AS_PATHS.issuer}`)).json()) as {
      issuer: string;
      token_endpoint: string;
    };
    assert.equal(metadata.issuer, model.issuer);
    assert.equal(metadata.token_endpoint, model.endpoints.token);
    const jwks = async () => ((await (await fetch(`${url}${AS_PATHS.jwks}`)).json()) as { keys: unknown[] }).keys.length;
    assert.equal(await jwks(), 1);
    child.kill('SIGUSR2');
    await waitFor(/signing key rotated/);
    assert.equal(await jwks(), 2);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
});
