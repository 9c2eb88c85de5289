import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pulumi from '@pulumi/pulumi';
import { ALIASES } from './docker/addresses.ts';
import { installMocks, resolve, settled } from '../test/support/pulumi-mocks.ts';

test('the program deploys the dev stack from its configuration and exports the outputs', async () => {
  const resources = await installMocks();
  // As Pulumi passes the dev stack's configuration (Pulumi.dev.yaml) to the program.
  pulumi.runtime.setAllConfig({
    'mcp-secured-api:domain': 'demo.example',
    'mcp-secured-api:scheme': 'https',
    'mcp-secured-api:scope': 'stocks/read',
    'mcp-secured-api:users': JSON.stringify([
      { email: 'john.doe@demo.example', region: 'USA' },
      { email: 'jane.test@demo.example', region: 'Europe' },
    ]),
    'mcp-secured-api:accessTokenTtlSeconds': '900',
    'mcp-secured-api:corsOrigins': JSON.stringify(['http://localhost:6274']),
  });
  const program = await import('./index.ts');
  await settled();

  assert.equal(program.authorizationServer, 'builtin');
  assert.equal(program.hostsLine, '127.0.0.1 api.demo.example mcp.demo.example login.demo.example mail.demo.example');
  assert.equal(program.endpoints.mcpServer, 'https://mcp.demo.example/');
  assert.match((await resolve(program.caCertificate)).value ?? '', /BEGIN CERTIFICATE/);
  assert.equal((await resolve(program.adminPassword)).secret, true);

  const aliases = resources
    .filter((r) => r.type === 'docker:index/container:Container')
    .map((r) => (r.inputs['networksAdvanced'] as { aliases: string[] }[])[0]!.aliases[0])
    .sort();
  assert.deepEqual(
    aliases,
    [
      ALIASES.gateway,
      ALIASES.authorizationServer,
      ALIASES.maildev,
      ALIASES.mcpServer,
      ALIASES.stocksApi,
      ALIASES.postgres,
      `${ALIASES.postgres}-init`,
    ].sort(),
  );
  const root = resources.find((r) => r.type === 'mcp-secured-api:docker:Stack');
  assert.equal(root?.name, 'mcp-secured-api');
});
