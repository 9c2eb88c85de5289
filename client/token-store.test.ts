import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileTokenStore, TokenStoreError } from './token-store.ts';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'token-store-'));
});
after(() => rm(work, { recursive: true, force: true }));

const session = (token: string) => ({ tokens: { access_token: token, token_type: 'Bearer' }, expiresAt: 1 });

test('one file keeps each server apart; forgetting one keeps the others, forgetting the last removes the file', async () => {
  const path = join(work, 'two.json');
  const a = fileTokenStore(path, 'https://a.example/');
  const b = fileTokenStore(path, 'https://b.example/');
  assert.equal(await a.load(), undefined, 'no file yet');
  await a.save(session('token-a'));
  await b.save(session('token-b'));
  assert.equal((await a.load())?.tokens?.access_token, 'token-a');
  assert.equal((await b.load())?.tokens?.access_token, 'token-b');
  assert.equal(await a.clear(), true);
  assert.equal(await a.clear(), false);
  assert.equal((await b.load())?.tokens?.access_token, 'token-b');
  await b.clear();
  await assert.rejects(stat(path), { code: 'ENOENT' });
});

test('the file is private whatever the umask, and written whole (no temporary file left behind)', async () => {
  const path = join(work, 'private.json');
  const umask = process.umask(0o022);
  try {
    await fileTokenStore(path, 'https://a.example/').save(session('t'));
  } finally {
    process.umask(umask);
  }
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(
    (await readdir(work)).filter((name) => name.startsWith('private.json')),
    ['private.json'],
  );
});

test('what is not a private regular file written by the client is refused with what to do', async () => {
  const refused = (code: TokenStoreError['code']) => (err: TokenStoreError) => err instanceof TokenStoreError && err.code === code;
  const dir = join(work, 'a-directory');
  await mkdir(dir);
  await assert.rejects(fileTokenStore(dir, 'k').load(), refused('ERR_TOKEN_STORE_NOT_A_FILE'));
  const link = join(work, 'link.json');
  await writeFile(join(work, 'target.json'), '{"version":1,"servers":{}}', { mode: 0o600 });
  await symlink(join(work, 'target.json'), link);
  await assert.rejects(fileTokenStore(link, 'k').load(), refused('ERR_TOKEN_STORE_NOT_A_FILE'));
  const shared = join(work, 'shared.json');
  await writeFile(shared, '{"version":1,"servers":{}}', { mode: 0o640 });
  await assert.rejects(fileTokenStore(shared, 'k').load(), refused('ERR_TOKEN_STORE_READABLE_BY_OTHERS'));
  const foreign = join(work, 'foreign.json');
  await writeFile(foreign, '{"version":2}', { mode: 0o600 });
  await assert.rejects(fileTokenStore(foreign, 'k').save(session('t')), refused('ERR_TOKEN_STORE_MALFORMED'));
});
