/**
 * A PostgreSQL server through node-postgres: a small pool, every wait bounded (connecting,
 * each query, each statement on the server), and connections that failed are thrown away so the
 * pool reconnects by itself once the server is back. Failures to reach the server become
 * DatabaseUnavailableError; SQL errors stay what they are.
 */
import pg from 'pg';
import { DatabaseUnavailableError, type Database, type Queryable } from './database.ts';

const CONNECT_TIMEOUT_MS = 5_000;
const QUERY_TIMEOUT_MS = 5_000;

// Times are stored as bigint seconds: read them as numbers, as PGlite does.
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Whether an error means the server is out of reach, rather than a problem with the SQL. */
function unreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown), 53 (resources).
    if (/^(08|57P|53)/.test(code)) return true;
    if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)$/.test(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return false;
  }
  return /Connection terminated|timeout|timed out|Client has encountered a connection error|not queryable|ECONNREFUSED/i.test(
    error.message,
  );
}

function where(url: URL): string {
  return `${url.hostname}:${url.port || '5432'} (database ${decodeURIComponent(url.pathname.slice(1)) || 'postgres'})`;
}

function unavailable(url: URL, error: Error): DatabaseUnavailableError {
  return new DatabaseUnavailableError(`Cannot reach PostgreSQL at ${where(url)}: ${error.message}`, { cause: error });
}

function wrap(client: pg.ClientBase): Queryable {
  return {
    async query<R>(sql: string, params: unknown[] = []) {
      const result = await client.query(sql, params);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

export async function openPostgres(connectionString: string): Promise<Database> {
  const url = new URL(connectionString);
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    query_timeout: QUERY_TIMEOUT_MS,
    statement_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
    types,
  });
  // A connection that breaks reports it to the query using it (or the pool drops it when idle); the
  // 'error' event it also emits would otherwise crash the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));

  /** Borrows a connection for `work`; one that failed to reach the server is destroyed, not reused. */
  async function withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw unreachable(error) ? unavailable(url, error as Error) : error;
    }
    try {
      const result = await work(client);
      client.release();
      return result;
    } catch (error) {
      const broken = unreachable(error);
      client.release(broken);
      throw broken ? unavailable(url, error as Error) : error;
    }
  }

  const database: Database = {
    location: `PostgreSQL at ${where(url)}`,
    exclusive: false,
    query: (sql, params) => withClient((client) => wrap(client).query(sql, params)),
    exec: (sql) => withClient((client) => wrap(client).exec(sql)),
    transaction: (work) =>
      withClient(async (client) => {
        await client.query('BEGIN');
        try {
          const result = await work(wrap(client));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        }
      }),
    close: () => pool.end(),
  };
  // Fail at start, with the server's own words, rather than at the first request.
  await database.query('SELECT 1');
  return database;
}
