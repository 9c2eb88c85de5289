import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
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
