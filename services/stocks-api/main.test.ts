import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runEntryPoint, startEntryPoint } from '../../test/support/entry-point.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const env = {
  ISSUER: 'https://login.demo.example/oauth/v2/oauth-anonymous',
  JWKS_URI: 'http://127.0.0.1:9/oauth/v2/oauth-anonymous/jwks',
  AUDIENCE: 'https://api.demo.example',
  REQUIRED_SCOPE: 'stocks/read',
  JWT_ALGORITHMS: 'PS256',
  JWT_TYP: 'at+jwt',
};

describe('stocks API entry point', () => {
  it('fails at start naming the missing and bad variables', () => {
    const { AUDIENCE: _, JWKS_URI: __, ...partial } = env;
    const result = runEntryPoint(main, { ...partial, PORT: 'eighty' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /PORT must be a port number/);
    assert.match(result.stderr, /AUDIENCE is required/);
    assert.match(result.stderr, /JWKS_URI is required/);
    assert.doesNotMatch(result.stderr, /ISSUER/);
  });

  it('starts with the environment of infra/environments.ts and answers /health', async () => {
    const service = await startEntryPoint(main, env);
    try {
      const res = await fetch(`${service.url}/health`);
      assert.deepEqual(await res.json(), { status: 'ok' });
      assert.equal(res.headers.get('keep-alive'), 'timeout=65', "kept-alive connections outlive the callers' idle time");
      assert.equal((await fetch(`${service.url}/stocks`)).status, 401);
    } finally {
      assert.equal(await service.stop(), 0);
    }
  });
});
