/**
 * Schema migrations: the ordered files `migrations/NNN_name.sql`, applied at start in one
 * transaction under an advisory lock, so that instances starting together on one database wait
 * for each other instead of racing, and a failed migration leaves nothing half done. A few lines
 * of our own rather than a library: both drivers run them the same way, with nothing else to
 * install or configure. A database whose schema is newer than this code is refused.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { Database } from './database.ts';

const MIGRATIONS = new URL('./migrations/', import.meta.url);
const FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;
/** Any fixed number: the lock other instances wait on. */
const MIGRATION_LOCK = 7_319_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
  readonly code = 'ERR_SCHEMA_TOO_NEW';
}

export async function migrations(): Promise<Migration[]> {
  const files = (await readdir(MIGRATIONS)).filter((f) => FILE.test(f)).sort();
  return Promise.all(
    files.map(async (name) => ({ version: Number(FILE.exec(name)![1]), name, sql: await readFile(new URL(name, MIGRATIONS), 'utf8') })),
  );
}

/** Brings the schema up to date; returns the names of the migrations it applied. */
export async function migrate(db: Database, known?: Migration[]): Promise<string[]> {
  const all = known ?? (await migrations());
  const latest = all.at(-1)?.version ?? 0;
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await tx.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
    const current = rows[0]?.version ?? 0;
    if (current > latest) {
      throw new SchemaTooNewError(
        `The database schema is at version ${current}, newer than this server knows (${latest}): ` +
          'a newer version of the authorization server has used it. Run that version (or newer), or restore a backup taken before the upgrade.',
      );
    }
    const pending = all.filter((m) => m.version > current);
    for (const m of pending) {
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    return pending.map((m) => m.name);
  });
}
