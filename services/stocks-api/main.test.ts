import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('stocks API entry point', () => {
  it('fails at start naming the missing and bad variables', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', main], {
      env: { PATH: process.env.PATH, PORT: 'eighty', ISSUER: 'https://login.demo.example/oauth/v2/oauth-anonymous' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /PORT must be a port number/);
    assert.match(result.stderr, /AUDIENCE is required/);
    assert.match(result.stderr, /JWKS_URI is required/);
    assert.doesNotMatch(result.stderr, /ISSUER/);
  });
});
