import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStackFile } from './stack-file.ts';

async function withStackFile(text: string, check: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stack-file-'));
  try {
    await writeFile(join(dir, 'Pulumi.test.yaml'), text);
    await check(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the dev stack file of this repository is valid', async () => {
  const config = await readStackFile('dev');
  assert.equal(config.domain, 'demo.example');
  assert.equal(config.authorizationServer, 'builtin');
  assert.deepEqual(
    config.users.map((u) => u.region),
    ['USA', 'Europe'],
  );
});

test('a stack configured for Curity runs locally with the built-in server; encrypted values and other namespaces are skipped', async () => {
  await withStackFile(
    [
      'config:',
      '  aws:region: eu-west-1',
      '  mcp-secured-api:domain: acme.test',
      '  mcp-secured-api:scope: portfolio/read',
      '  mcp-secured-api:authorizationServer: curity',
      '  mcp-secured-api:tokenSigningAlgorithm: EdDSA',
      '  mcp-secured-api:curityLicenseKey:',
      '    secure: v1:abc',
      '  mcp-secured-api:users:',
      '    - email: Ann@Acme.test',
      '      region: Asia',
    ].join('\n'),
    async (dir) => {
      const config = await readStackFile('test', dir);
      assert.equal(config.authorizationServer, 'builtin');
      assert.equal(config.curityLicenseKey, undefined);
      assert.equal(config.users[0]?.email, 'ann@acme.test');
      assert.equal(config.tokenSigningAlgorithm, 'EdDSA', 'the algorithm the stack deploys with');
    },
  );
});

test('a missing stack file and a bad value are reported with the file and the key', async () => {
  await assert.rejects(readStackFile('nope'), /stack "nope": .*Pulumi\.nope\.yaml does not exist/);
  await withStackFile(
    'config:\n  mcp-secured-api:domain: https://acme.test\n  mcp-secured-api:scope: s\n  mcp-secured-api:users: [{email: a@b.c, region: X}]\n',
    async (dir) => {
      await assert.rejects(
        readStackFile('test', dir),
        /Pulumi\.test\.yaml: Invalid stack configuration:\n\s+- mcp-secured-api:domain must be a bare domain/,
      );
    },
  );
});
