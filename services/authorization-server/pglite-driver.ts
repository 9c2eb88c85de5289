/**
 * PGlite: PostgreSQL in this process, on a data folder or in memory. One connection, so queries
 * run one at a time and a transaction has the database to itself. Each commit is written to the
 * folder before it returns, so a killed process loses nothing it acknowledged.
 *
 * Creating an empty cluster (initdb) takes seconds; the first one is kept as a tarball next to
 * the installed packages and copied for every later new database, which then opens in about one.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable } from './database.ts';

const require = createRequire(import.meta.url);

/** `<node_modules>/.cache/mcp-secured-api/pglite-<version>-empty.tar.gz` */
function emptyClusterCache(): string {
  // <node_modules>/@electric-sql/pglite/dist/index.cjs
  const packageDir = dirname(dirname(require.resolve('@electric-sql/pglite')));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const nodeModules = dirname(dirname(packageDir));
  return join(nodeModules, '.cache', 'mcp-secured-api', `pglite-${version}-empty.tar.gz`);
}

async function isNew(dataDir: string | undefined): Promise<boolean> {
  if (dataDir === undefined) return true;
  try {
    return (await readdir(dataDir)).length === 0;
  } catch {
    return true;
  }
}

async function readCache(path: string): Promise<Blob | undefined> {
  try {
    return new Blob([await readFile(path)]);
  } catch {
    return undefined;
  }
}

/** Best effort: a read-only install simply initialises every new database. */
async function writeCache(db: PGlite, path: string): Promise<void> {
  try {
    const dump = await db.dumpDataDir('gzip');
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, path);
  } catch {
    // not cached: the next new database initialises again
  }
}

function wrap(q: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<R>(sql: string, params: unknown[] = []) {
      const result = await q.query<R>(sql, params);
      return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  };
}

export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const fresh = await isNew(dataDir);
  const cache = emptyClusterCache();
  const template = fresh ? await readCache(cache) : undefined;
  if (dataDir) await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const db = await PGlite.create(dataDir ?? 'memory://', {
    // The server's tables are small: PostgreSQL's default 128 MB of buffers would only add to the
    // process's memory (about 120 MiB less resident with 16 MB).
    postgresqlconf: ['shared_buffers=16MB'],
    ...(template && { loadDataDir: template }),
  });
  if (fresh && !template) await writeCache(db, cache);
  const q = wrap(db);
  return {
    ...q,
    location: dataDir ? `the embedded database in ${dataDir}` : 'an embedded database in memory',
    exclusive: true,
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    close: () => db.close(),
  };
}
