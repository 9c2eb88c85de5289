import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Database } from './database.ts';
import { withIssuedTokenIndex } from './issued-token-index.ts';
import { migrate } from './migrate.ts';
import { tokenHash } from '@mcp-secured-api/contracts';
import { createStore, type AccessTokenRecord, type Store } from './store.ts';
import { grant } from '../../test/support/store-records.ts';

let embedded: Database;
/** Statements sent to the database, and a way to hold the next one's answer back. */
let queries: string[];
let hold: { until: Promise<void> } | undefined;

/** The embedded database as the server sees it, counting statements; `exclusive` as given. */
function counted(exclusive: boolean): Database {
  const watch = async <T>(sql: string, run: () => Promise<T>) => {
    queries.push(sql);
    const held = hold;
    hold = undefined;
    const result = await run();
    if (held) await held.until;
    return result;
  };
  return {
    location: embedded.location,
    exclusive,
    query: (sql, params) => watch(sql, () => embedded.query(sql, params)),
    exec: (sql) => watch(sql, () => embedded.exec(sql)),
    transaction: (work) => embedded.transaction(work),
    close: async () => {},
  };
}

before(async () => {
  embedded = await openDatabase('memory://');
  await migrate(embedded);
});
after(() => embedded.close());
beforeEach(async () => {
  await embedded.exec('DELETE FROM grants');
  queries = [];
  hold = undefined;
});

const NOW = 1_000;
const token = (name: string, grantId: string, expiresAt = 5_000): AccessTokenRecord => ({
  tokenHash: tokenHash(name),
  jti: `jti-${name}`,
  grantId,
  clientId: 'c',
  jwt: `jwt-${name}`,
  expiresAt,
});

async function issue(store: Store, ...records: AccessTokenRecord[]): Promise<void> {
  for (const id of new Set(records.map((r) => r.grantId))) await store.grants.insert(grant(id, 10_000));
  for (const record of records) await store.accessTokens.insert(record);
  queries = [];
}

test('on the embedded database, a token just issued is introspected and exchanged without a query', async () => {
  const store = createStore(counted(true));
  await issue(store, token('a', 'g'));
  assert.equal((await store.accessTokens.get(tokenHash('a'), NOW))?.jwt, 'jwt-a');
  assert.equal(await store.accessTokens.jwtOf('jti-a', NOW), 'jwt-a');
  assert.deepEqual(queries, []);
});

test('on a database other instances share, every lookup asks it', async () => {
  const store = createStore(counted(false));
  await issue(store, token('a', 'g'));
  assert.equal((await store.accessTokens.get(tokenHash('a'), NOW))?.jwt, 'jwt-a');
  assert.equal(await store.accessTokens.jwtOf('jti-a', NOW), 'jwt-a');
  assert.equal(queries.length, 2);
});

test('a revoked token, alone or with its grant, is never answered from memory', async () => {
  const store = createStore(counted(true));
  await issue(store, token('a', 'g1'), token('b', 'g2'), token('c', 'g2'));
  assert.equal(await store.accessTokens.delete(tokenHash('a'), 'c'), true);
  await store.grants.revoke('g2');
  for (const name of ['a', 'b', 'c']) {
    assert.equal(await store.accessTokens.get(tokenHash(name), NOW), undefined, name);
    assert.equal(await store.accessTokens.jwtOf(`jti-${name}`, NOW), undefined, name);
  }
});

test('an expired token is not answered from memory', async () => {
  const store = createStore(counted(true));
  await issue(store, token('a', 'g', 2_000));
  assert.equal(await store.accessTokens.get(tokenHash('a'), 2_000), undefined);
  assert.equal(await store.accessTokens.jwtOf('jti-a', 2_000), undefined);
});

test('tokens a transaction inserts are remembered once it commits, never when it rolls back', async () => {
  const store = createStore(counted(true));
  await store.grants.insert(grant('g', 10_000));
  await store.transaction(async (tx) => tx.accessTokens.insert(token('kept', 'g')));
  await assert.rejects(
    store.transaction(async (tx) => {
      await tx.accessTokens.insert(token('lost', 'g'));
      throw new Error('rolled back');
    }),
    /rolled back/,
  );
  queries = [];
  assert.equal((await store.accessTokens.get(tokenHash('kept'), NOW))?.jwt, 'jwt-kept');
  assert.deepEqual(queries, [], 'the committed token is in memory');
  assert.equal(await store.accessTokens.get(tokenHash('lost'), NOW), undefined);
});

test('a token read from the database while it is being revoked is not remembered', async () => {
  await createStore(embedded).grants.insert(grant('g', 10_000));
  await createStore(embedded).accessTokens.insert(token('a', 'g'));
  // A store that has not seen the token (as after a restart): its first lookup reads the database.
  const store = createStore(counted(true));
  let release!: () => void;
  hold = { until: new Promise<void>((resolve) => (release = resolve)) };
  const reading = store.accessTokens.get(tokenHash('a'), NOW);
  await store.grants.revoke('g');
  release();
  assert.ok(await reading, 'the read began before the revocation');
  assert.equal(await store.accessTokens.get(tokenHash('a'), NOW), undefined, 'and is not answered again');
});

test('bounded: past its size, the least recently used tokens are asked of the database again', async () => {
  const store = withIssuedTokenIndex(createStore(counted(false)), 2);
  await issue(store, token('a', 'g'), token('b', 'g'), token('c', 'g'));
  assert.equal((await store.accessTokens.get(tokenHash('c'), NOW))?.jwt, 'jwt-c');
  assert.deepEqual(queries, []);
  assert.equal((await store.accessTokens.get(tokenHash('a'), NOW))?.jwt, 'jwt-a');
  assert.equal(queries.length, 1);
});
