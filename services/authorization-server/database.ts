/**
 * Where the server's state lives: PostgreSQL, through one of two drivers behind one small
 * interface. `DATABASE_URL` chooses: `postgres://…` or `postgresql://…` is a PostgreSQL server
 * (node-postgres, for deployments and several instances); `file:<folder>` is PGlite, PostgreSQL
 * compiled to WebAssembly, running in this process on a data folder (the local stack); `memory://`
 * is PGlite in memory (tests; nothing is kept). Both run the same SQL.
 */

export interface QueryResult<R> {
  rows: R[];
  /** Rows returned, inserted, updated or deleted. */
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /** Runs statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Where the data lives, for messages: never a password. */
  readonly location: string;
  /** Only this process can reach it (the embedded database): what the process remembers of it stays true. */
  readonly exclusive: boolean;
  close(): Promise<void>;
}

/**
 * The database cannot be reached (refused, reset, timed out, shutting down). Requests that need
 * it answer 503; the drivers reconnect by themselves once it is back.
 */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  readonly code = 'ERR_DATABASE_UNAVAILABLE';
}

export type DatabaseUrl = { driver: 'postgres'; url: string } | { driver: 'pglite'; dataDir: string | undefined };

/** Reads DATABASE_URL; throws a message naming the accepted forms. */
export function parseDatabaseUrl(value: string): DatabaseUrl {
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new Error('DATABASE_URL is not a valid URL; expected postgres://user:password@host:5432/database');
    }
    return { driver: 'postgres', url: value };
  }
  if (value === 'memory://') return { driver: 'pglite', dataDir: undefined };
  if (value.startsWith('file:')) {
    const path = value.startsWith('file://') ? new URL(value).pathname : value.slice('file:'.length);
    if (!path) throw new Error('DATABASE_URL file: needs a folder, such as file:.data/dev/authorization-server');
    return { driver: 'pglite', dataDir: decodeURIComponent(path) };
  }
  throw new Error(
    'DATABASE_URL must be postgres://user:password@host:5432/database (a PostgreSQL server), ' +
      'file:<folder> (an embedded database in that folder) or memory:// (an embedded database kept in memory)',
  );
}

/** Opens the database `DATABASE_URL` names, loading only the driver it needs. */
export async function openDatabase(databaseUrl: string): Promise<Database> {
  const parsed = parseDatabaseUrl(databaseUrl);
  if (parsed.driver === 'postgres') {
    const { openPostgres } = await import('./postgres-driver.ts');
    return openPostgres(parsed.url);
  }
  const { openPglite } = await import('./pglite-driver.ts');
  return openPglite(parsed.dataDir);
}
