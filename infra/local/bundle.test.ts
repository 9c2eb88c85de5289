import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { bundleService } from './bundle.ts';

test("a service's bundle holds this repository's code, leaves packages to Node, and keeps each file's own URL", async () => {
  const file = await bundleService('services/authorization-server/main.ts');
  assert.match(file, /\.cache\/local-stack\/services-authorization-server-main-[0-9a-f]{16}\.mjs$/);
  const code = await readFile(file, 'utf8');
  // The shared contracts workspace is inside; hono and PGlite stay packages Node loads.
  assert.match(code, /AS_PATHS/);
  assert.match(code, /from "hono"/);
  assert.match(code, /from "@electric-sql\/pglite"/);
  // The migrations are found beside migrate.ts, not beside the bundle.
  const migrate = pathToFileURL(new URL('../../services/authorization-server/migrate.ts', import.meta.url).pathname).href;
  assert.ok(code.includes(JSON.stringify(migrate)), 'migrate.ts keeps its own import.meta.url');
  assert.equal(await bundleService('services/authorization-server/main.ts'), file, 'the same code, the same bundle');
});

test('stacks of one process starting at once bundle the same service side by side, into one file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bundles-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files = await Promise.all(Array.from({ length: 8 }, () => bundleService('services/gateway/main.ts', dir)));
  assert.equal(new Set(files).size, 1, 'one bundle for all of them');
  assert.deepEqual(await readdir(dir), [basename(files[0]!)], 'no partial file left behind');
});
