import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pulumi from '@pulumi/pulumi';
import { deepPlain, installMocks, resolve, settled } from '../../test/support/pulumi-mocks.ts';

test('the program deploys to Kubernetes with target: kubernetes, and nothing to Docker', async () => {
  const resources = await installMocks();
  pulumi.runtime.setAllConfig({
    'mcp-secured-api:domain': 'demo.example',
    'mcp-secured-api:scope': 'stocks/read',
    'mcp-secured-api:users': JSON.stringify([{ email: 'john.doe@demo.example', region: 'USA' }]),
    'mcp-secured-api:target': 'kubernetes',
    // As `pulumi config set --path kubernetes.replicas.mcpServer 3` stores it: a string inside the object.
    'mcp-secured-api:kubernetes': JSON.stringify({
      imageRegistry: 'registry.example.com/mcp',
      imageTag: '1.2.3',
      replicas: { mcpServer: '3' },
    }),
  });
  const program = await import('../index.ts');
  await settled();

  assert.equal(program.target, 'kubernetes');
  assert.equal(resources.filter((r) => r.type.startsWith('docker:')).length, 0);
  assert.ok(resources.some((r) => r.type === 'kubernetes:apps/v1:Deployment'));
  const mcp = resources.find(
    (r) => r.type === 'kubernetes:apps/v1:Deployment' && (r.inputs['metadata'] as { name: string }).name === 'mcp-server',
  );
  assert.equal(deepPlain<{ replicas: number }>(mcp?.inputs['spec']).replicas, 3);
  assert.equal(program.networkName, undefined);
  assert.equal(await resolve(program.namespace!).then((r) => r.value), 'mcp-secured-api');
  assert.equal(
    (await resolve(pulumi.output(program.hostsLine))).value,
    '203.0.113.10 api.demo.example mcp.demo.example login.demo.example mail.demo.example',
  );
  assert.equal(program.endpoints.mcpServer, 'https://mcp.demo.example/');
});
