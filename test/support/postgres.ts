/**
 * A database of its own on the PostgreSQL server of `TEST_DATABASE_URL`, for tests of what runs
 * on a real server (several instances, outages). Other test runs may use the same server at the
 * same time, so each test makes a uniquely named database and drops it at the end. Without the
 * variable, or without a server answering, the tests are skipped and say why.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  /** Why the tests are skipped; then `url` is empty. */
  skip: string | undefined;
  url: string;
  drop(): Promise<void>;
}

const skipped = (skip: string): TestDatabase => ({ skip, url: '', drop: async () => {} });

export async function createTestDatabase(purpose: string): Promise<TestDatabase> {
  const server = process.env.TEST_DATABASE_URL;
  if (!server) {
    return skipped(
      `TEST_DATABASE_URL is not set, so ${purpose} is not tested (set it to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/test)`,
    );
  }
  const admin = new pg.Client({ connectionString: server, connectionTimeoutMillis: 3_000 });
  try {
    await admin.connect();
  } catch (error) {
    const { hostname, port } = new URL(server);
    return skipped(
      `No PostgreSQL server answers at ${hostname}:${port || 5432} (${(error as Error).message}), so ${purpose} is not tested`,
    );
  }
  const name = `mcp_secured_api_test_${randomBytes(6).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    skip: undefined,
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: server, connectionTimeoutMillis: 3_000 });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Runs one query on a test database (to check what the server stored). */
export async function queryTestDatabase<R extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
