import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request, startUpstream } from '../../test/support/gateway-peers.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

function run(env: Record<string, string>, untilReady = false) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    if (!untilReady) return;
    const timer = setTimeout(() => reject(new Error(`no ready line; stderr: ${stderr}`)), 15_000);
    child.stdout.on('data', () => {
      const line = stdout.split('\n').find((l) => l.startsWith('{"level":"info","message":"ready"'));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited early; stderr: ${stderr}`));
    });
  });
  return { child, exited, ready, output: () => ({ stdout, stderr }) };
}

describe('gateway main', () => {
  let dir: string;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gateway-main-'));
    upstream = await startUpstream('mail');
  });
  after(async () => {
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails at start naming the missing variables', async () => {
    const p = run({});
    assert.equal(await p.exited, 1);
    assert.match(p.output().stderr, /KONG_DECLARATIVE_CONFIG is required/);
  });

  it('fails at start on a configuration it does not understand, naming the place', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      '_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:1\n    plugins:\n      - name: key-auth\n',
    );
    const p = run({ KONG_DECLARATIVE_CONFIG: file, PORT: '0' });
    assert.equal(await p.exited, 1);
    assert.match(p.output().stderr, /services\[0\]\(s\)\.plugins\[0\]\(key-auth\)\.name: unknown plugin "key-auth"/);
  });

  it('refuses a malformed GATEWAY_LISTENERS', async () => {
    const p = run({ KONG_DECLARATIVE_CONFIG: '/dev/null', GATEWAY_LISTENERS: 'mail.demo.example:8000' });
    assert.equal(await p.exited, 1);
    assert.match(p.output().stderr, /GATEWAY_LISTENERS has "mail\.demo\.example:8000"; expected host=port pairs/);
  });

  it('refuses a GATEWAY_SOURCE_ADDRESS that is not an IP address', async () => {
    const p = run({ KONG_DECLARATIVE_CONFIG: '/dev/null', PORT: '0', GATEWAY_SOURCE_ADDRESS: 'gateway.local' });
    assert.equal(await p.exited, 1);
    assert.match(p.output().stderr, /GATEWAY_SOURCE_ADDRESS must be an IP address of this machine/);
  });

  it('serves each listener as its host, prints one ready line, and stops on SIGTERM', async () => {
    const file = join(dir, 'kong.yaml');
    await writeFile(
      file,
      `_format_version: "3.0"\nservices:\n  - name: mail\n    url: ${upstream.url}\n    routes:\n      - name: mail-route\n        hosts: [mail.demo.example]\n        paths: [/]\n`,
    );
    const p = run({ KONG_DECLARATIVE_CONFIG: file, GATEWAY_LISTENERS: 'mail.demo.example=0,other.demo.example=0' }, true);
    try {
      const { listeners } = JSON.parse(await p.ready) as { listeners: Record<string, string> };
      assert.deepEqual(Object.keys(listeners), ['mail.demo.example', 'other.demo.example']);
      const mail = await request(listeners['mail.demo.example']!, { path: '/email' });
      assert.equal(mail.status, 200);
      assert.equal(mail.json().path, '/email');
      assert.equal((await request(listeners['other.demo.example']!, { path: '/email' })).status, 404);
    } finally {
      p.child.kill('SIGTERM');
    }
    assert.equal(await p.exited, 0);
  });
});
