import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pulumi from '@pulumi/pulumi';
import { readStackConfig } from './pulumi-config.ts';
import { resolve } from '../test/support/pulumi-mocks.ts';

const users = JSON.stringify([{ email: 'john.doe@demo.example', region: 'USA' }]);

test("reads this project's keys as Pulumi stores them and ignores other namespaces", () => {
  pulumi.runtime.setAllConfig({
    'mcp-secured-api:domain': 'demo.example',
    'mcp-secured-api:scope': 'stocks/read',
    'mcp-secured-api:users': users,
    'mcp-secured-api:accessTokenTtlSeconds': '600',
    'mcp-secured-api:tokenSigningAlgorithm': 'PS256',
    'mcp-secured-api:corsOrigins': '["http://localhost:6274"]',
    'docker:host': 'unix:///var/run/docker.sock',
  });
  const { config, curityLicenseKey } = readStackConfig();
  assert.equal(config.domain, 'demo.example');
  assert.equal(config.accessTokenTtlSeconds, 600);
  assert.equal(config.tokenSigningAlgorithm, 'PS256');
  assert.equal(config.authorizationServer, 'builtin');
  assert.equal(curityLicenseKey, undefined);
});

test('the Curity licence comes out as a secret and selects Curity', async () => {
  pulumi.runtime.setAllConfig(
    {
      'mcp-secured-api:domain': 'demo.example',
      'mcp-secured-api:scope': 'stocks/read',
      'mcp-secured-api:users': users,
      'mcp-secured-api:curityLicenseKey': 'licence-text',
    },
    ['mcp-secured-api:curityLicenseKey'],
  );
  const { config, curityLicenseKey } = readStackConfig();
  assert.equal(config.authorizationServer, 'curity');
  assert.ok(curityLicenseKey);
  assert.deepEqual(await resolve(curityLicenseKey), { value: 'licence-text', secret: true });
});

test('bad configuration stops the program with the key and the fix, without a stack trace', () => {
  pulumi.runtime.setAllConfig({
    'mcp-secured-api:domain': 'https://demo.example',
    'mcp-secured-api:scope': 'stocks/read',
    'mcp-secured-api:users': users,
  });
  assert.throws(readStackConfig, (err: unknown) => {
    assert.ok(err instanceof pulumi.RunError);
    assert.match(err.message, /mcp-secured-api:domain must be a bare domain/);
    return true;
  });
});
