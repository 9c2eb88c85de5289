/**
 * PGlite: PostgreSQL in this process, on a data folder or in memory. One connection, so queries
 * run one at a time and a transaction has the database to itself. Each commit is written to the
 * folder before it returns, so a killed process loses nothing it acknowledged.
 *
 * Creating an empty cluster (initdb) takes seconds; the first one is kept as a tarball next to
 * the installed packages and copied for every later new database, which then opens in about one.
 * A damaged tarball is never loaded: the next new database initialises and keeps a new one.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
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

/**
 * The kept cluster, if it is whole: gzip's checksum and length prove it is the tarball as written
 * (PGlite would fail on a damaged one outside any promise the server could catch). Checked once
 * per process (about 0.1 s); a cluster this process keeps later is checked when next read.
 */
const wholeTarballs = new Map<string, Promise<Blob | undefined>>();
function readCache(path: string): Promise<Blob | undefined> {
  let read = wholeTarballs.get(path);
  if (!read) {
    read = readWholeTarball(path);
    wholeTarballs.set(path, read);
    // None kept yet, or a damaged one: look again next time (this process may keep one meanwhile).
    void read.then((tarball) => {
      if (!tarball) wholeTarballs.delete(path);
    });
  }
  return read;
}

async function readWholeTarball(path: string): Promise<Blob | undefined> {
  try {
    const tarball = await readFile(path);
    await pipeline(Readable.from([tarball]), createGunzip(), new Writable({ write: (_chunk, _enc, done) => done() }));
    return new Blob([tarball]);
  } catch {
    return undefined;
  }
}

/** Best effort: a read-only install simply initialises every new database. */
async function writeCache(db: PGlite, path: string): Promise<void> {
  try {
    const dump = await db.dumpDataDir('gzip');
    await mkdir(dirname(path), { recursive: true });
    // Its own partial file: databases of one process may be created at once.
    const partial = `${path}.${randomUUID()}.partial`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, path);
    wholeTarballs.delete(path);
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

export async function openPglite(dataDir: string | undefined, options: { templateCache?: string } = {}): Promise<Database> {
  const fresh = await isNew(dataDir);
  const cache = options.templateCache ?? emptyClusterCache();
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
