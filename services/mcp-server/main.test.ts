import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runEntryPoint, startEntryPoint } from '../../test/support/entry-point.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const env = {
  PUBLIC_ORIGIN: 'https://mcp.demo.example',
  RESOURCE: 'https://mcp.demo.example/',
  RESOURCE_NAME: 'Stocks MCP server',
  ISSUER: 'https://login.demo.example/oauth/v2/oauth-anonymous',
  JWKS_URI: 'http://127.0.0.1:9/oauth/v2/oauth-anonymous/jwks',
  REQUIRED_SCOPE: 'stocks/read',
  JWT_ALGORITHMS: 'PS256',
  JWT_TYP: 'at+jwt',
  TOKEN_ENDPOINT: 'http://127.0.0.1:9/oauth/v2/oauth-token',
  CLIENT_ID: 'mcp-server-client',
  CLIENT_SECRET: 'not-a-real-secret',
  API_AUDIENCE: 'https://api.demo.example',
  API_BASE_URL: 'http://127.0.0.1:9',
  ALLOWED_ORIGINS: 'http://localhost:6274',
};

describe('MCP server entry point', () => {
  it('fails at start naming the missing and bad variables, without printing the secret', () => {
    const { CLIENT_ID: _, ...partial } = env;
    const result = runEntryPoint(main, {
      ...partial,
      PORT: '3000',
      PUBLIC_ORIGIN: 'https://mcp.demo.example/path',
      ALLOWED_ORIGINS: 'localhost',
      EXCHANGE_CACHE_ENTRIES: '-1',
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /CLIENT_ID is required/);
    assert.match(result.stderr, /PUBLIC_ORIGIN must be an origin/);
    assert.match(result.stderr, /ALLOWED_ORIGINS/);
    assert.match(result.stderr, /EXCHANGE_CACHE_ENTRIES must be 0 or more/);
    assert.doesNotMatch(result.stderr, /not-a-real-secret/);
  });

  it('fails at start when the resource is not on the public origin', () => {
    const result = runEntryPoint(main, { ...env, PORT: '3000', RESOURCE: 'https://elsewhere.example/' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /must be on the public origin/);
  });

  it('starts with the environment of infra/environments.ts, answers /health and publishes its metadata', async () => {
    const service = await startEntryPoint(main, env);
    try {
      const health = await fetch(`${service.url}/health`);
      assert.deepEqual(await health.json(), { status: 'ok' });
      assert.equal(health.headers.get('keep-alive'), 'timeout=65', "kept-alive connections outlive the gateway's idle time");
      // Reached by its loopback address, not the public host: refused.
      assert.equal((await fetch(`${service.url}/.well-known/oauth-protected-resource`)).status, 403);
    } finally {
      assert.equal(await service.stop(), 0);
    }
  });
});
