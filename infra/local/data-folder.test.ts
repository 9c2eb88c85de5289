import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFolderInUseError, openDataFolder, stackDataFolder, temporaryDataFolder } from './data-folder.ts';

async function scratch(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'data-folder-test-')), 'dev');
}

test('kept secrets survive a restart, in a private folder and a 0600 file; the database lives inside', async () => {
  const path = await scratch();
  const first = await openDataFolder(path);
  assert.equal(first.created, true);
  assert.equal(first.databaseUrl, `file:${join(path, 'authorization-server')}`);
  assert.equal((await stat(path)).mode & 0o777, 0o700);
  assert.equal((await stat(join(path, 'secrets.json'))).mode & 0o777, 0o600);
  await first.close();
  const second = await openDataFolder(path);
  assert.equal(second.created, false);
  assert.deepEqual(second.secrets, first.secrets);
  assert.ok(second.secrets.keyEncryptionKey.length >= 32 && second.secrets.cookieSecret.length >= 32);
  await second.close();
  const fresh = await openDataFolder(path, { fresh: true });
  assert.equal(fresh.created, true);
  assert.notEqual(fresh.secrets.keyEncryptionKey, first.secrets.keyEncryptionKey, '--fresh forgets everything');
  await fresh.close();
  await rm(join(path, '..'), { recursive: true, force: true });
});

test('one running stack per folder: a second one, even --fresh, is refused; a stack that was killed does not hold it', async () => {
  const path = await scratch();
  const held = await openDataFolder(path);
  await assert.rejects(openDataFolder(path), DataFolderInUseError);
  await assert.rejects(openDataFolder(path, { fresh: true }), DataFolderInUseError);
  assert.ok(existsSync(join(path, 'secrets.json')), '--fresh deleted nothing');
  await held.close();
  // The pid of a process that has exited.
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  await writeFile(join(path, 'stack.pid'), gone);
  const taken = await openDataFolder(path);
  assert.equal(await readFile(join(path, 'stack.pid'), 'utf8'), String(process.pid));
  await taken.close();
  await rm(join(path, '..'), { recursive: true, force: true });
});

test('npm start keeps each stack under .data/<stack>; the demo and tests use a temporary folder removed at stop', async () => {
  assert.equal(stackDataFolder('dev', '/repo'), '/repo/.data/dev');
  const temporary = await temporaryDataFolder();
  assert.ok(existsSync(temporary.path));
  await temporary.close();
  assert.ok(!existsSync(temporary.path));
});
