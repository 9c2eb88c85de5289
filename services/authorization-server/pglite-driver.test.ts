import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openPglite } from './pglite-driver.ts';

async function answers(db: Awaited<ReturnType<typeof openPglite>>): Promise<void> {
  const { rows } = await db.query<{ n: number }>('select 1 as n');
  assert.deepEqual(rows, [{ n: 1 }]);
}

test('databases created at once in one process each open, and leave one usable kept cluster behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pglite-template-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const templateCache = join(dir, 'empty.tar.gz');
  const dbs = await Promise.all([1, 2, 3].map(() => openPglite(undefined, { templateCache })));
  for (const db of dbs) await answers(db);
  await Promise.all(dbs.map((db) => db.close()));
  assert.deepEqual(await readdir(dir), ['empty.tar.gz'], 'no partial file left behind');
  const db = await openPglite(undefined, { templateCache });
  await answers(db);
  await db.close();
});

test('a kept cluster that is cut short or damaged is made again, never loaded', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pglite-template-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const templateCache = join(dir, 'empty.tar.gz');
  await (await openPglite(undefined, { templateCache })).close();
  const whole = await readFile(templateCache);

  await writeFile(templateCache, whole.subarray(0, whole.length >> 1));
  const inFolder = await openPglite(join(dir, 'data'), { templateCache });
  await answers(inFolder);
  await inFolder.close();
  assert.ok((await stat(templateCache)).size > whole.length >> 1, 'the kept cluster is whole again');

  await writeFile(templateCache, Buffer.alloc(4096));
  const inMemory = await openPglite(undefined, { templateCache });
  await answers(inMemory);
  await inMemory.close();
});
