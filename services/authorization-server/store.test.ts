import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, parseDatabaseUrl, type Database } from './database.ts';
import { KeyDecryptionError, KeyEncryption } from './key-encryption.ts';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { TOKEN_SIGNING_ALGORITHMS, type TokenSigningAlgorithm, tokenHash } from '@mcp-secured-api/contracts';
import { SigningKeys } from './keys.ts';
import { migrate, migrations, SchemaTooNewError } from './migrate.ts';
import { createStore, type Store } from './store.ts';
import { grant } from '../../test/support/store-records.ts';

let db: Database;
let store: Store;
const quiet = { info: () => {}, error: () => {} };

before(async () => {
  db = await openDatabase('memory://');
  await migrate(db);
  store = createStore(db);
});
after(() => db.close());

test('DATABASE_URL chooses the driver; anything else is refused with the accepted forms', () => {
  assert.deepEqual(parseDatabaseUrl('postgres://u:p@db:5432/authorization_server'), {
    driver: 'postgres',
    url: 'postgres://u:p@db:5432/authorization_server',
  });
  assert.equal(parseDatabaseUrl('postgresql://db/x').driver, 'postgres');
  assert.deepEqual(parseDatabaseUrl('file:.data/dev/authorization-server'), {
    driver: 'pglite',
    dataDir: '.data/dev/authorization-server',
  });
  assert.deepEqual(parseDatabaseUrl('file:///var/lib/as'), { driver: 'pglite', dataDir: '/var/lib/as' });
  assert.deepEqual(parseDatabaseUrl('memory://'), { driver: 'pglite', dataDir: undefined });
  assert.throws(() => parseDatabaseUrl('mysql://db/x'), /postgres:\/\/.*file:.*memory:\/\//);
});

test('migrations run once; a schema newer than the code is refused', async () => {
  assert.deepEqual(await migrate(db), [], 'nothing left to apply');
  const known = await migrations();
  assert.ok(known.length >= 1);
  assert.deepEqual(
    known.map((m) => m.version),
    known.map((_, i) => i + 1),
    'numbered 1, 2, 3… without gaps',
  );
  await assert.rejects(migrate(db, known.slice(0, -1).length ? known.slice(0, -1) : []), (error: Error) => {
    assert.ok(error instanceof SchemaTooNewError);
    assert.match(error.message, /newer than this server knows/);
    return true;
  });
});

test('the sweep removes expired rows, at most `limit` per table and pass, and keeps the rest', async () => {
  for (let i = 0; i < 5; i++) await store.grants.insert(grant(`old-${i}`, 100));
  await store.grants.insert(grant('live', 10_000));
  await store.accessTokens.insert({ tokenHash: tokenHash('t'), jti: 'j', grantId: 'live', clientId: 'c', jwt: 'x', expiresAt: 150 });
  assert.equal((await store.sweep(99, 3)).grants, 0, 'nothing has expired yet');
  const first = await store.sweep(200, 3);
  assert.equal(first.grants, 3);
  assert.equal(first.access_tokens, 1);
  assert.equal((await store.sweep(200, 3)).grants, 2);
  assert.equal((await store.sweep(200, 3)).grants, 0);
  assert.ok(await store.grants.get('live'));
});

test('revoking a grant removes every token issued from it', async () => {
  await store.grants.insert(grant('family', 10_000));
  await store.accessTokens.insert({ tokenHash: tokenHash('a1'), jti: 'a1', grantId: 'family', clientId: 'c', jwt: 'x', expiresAt: 5_000 });
  await store.refreshTokens.insert({ tokenHash: tokenHash('r1'), grantId: 'family', clientId: 'c', expiresAt: 9_000 });
  assert.equal(await store.accessTokens.jwtOf('a1', 1_000), 'x');
  assert.equal(await store.accessTokens.jwtOf('a1', 5_000), undefined, 'expired');
  await store.grants.revoke('family');
  assert.equal(await store.accessTokens.jwtOf('a1', 1_000), undefined);
  assert.equal(await store.refreshTokens.get(tokenHash('r1')), undefined);
});

test('rate-limit windows and wrong-code counters restart once their window has passed', async () => {
  assert.deepEqual(await store.rateLimits.hit('registrations', '198.51.100.1', 1_000, 60), { count: 1, resetAt: 1_060 });
  assert.deepEqual(await store.rateLimits.hit('registrations', '198.51.100.1', 1_059, 60), { count: 2, resetAt: 1_060 });
  assert.deepEqual(await store.rateLimits.hit('sign-in', '198.51.100.1', 1_059, 60), { count: 1, resetAt: 1_119 }, 'per bucket');
  assert.deepEqual(await store.rateLimits.hit('registrations', '198.51.100.1', 1_060, 60), { count: 1, resetAt: 1_120 });
  await store.rateLimits.refund('registrations', '198.51.100.1');
  await store.rateLimits.refund('registrations', '198.51.100.1');
  assert.deepEqual(
    await store.rateLimits.hit('registrations', '198.51.100.1', 1_061, 60),
    { count: 1, resetAt: 1_120 },
    'refunds stop at 0',
  );

  for (let i = 0; i < 2; i++) await store.codeFailures.add('a@demo.example', 1_000 + i, 900);
  assert.equal(await store.codeFailures.add('a@demo.example', 1_899, 900), 3, 'counted from the first failure');
  assert.equal(await store.codeFailures.add('a@demo.example', 1_900, 900), 1, 'the count restarts 15 minutes after the first failure');
  await store.codeFailures.clear('a@demo.example');
  assert.equal(await store.codeFailures.add('a@demo.example', 1_901, 900), 1);
});

test("one-time codes: one per sign-in, the latest replacing the last; a user's codes are invalidated together", async () => {
  const signIn = (id: string) => ({
    id,
    csrf: 'c',
    expiresAt: 2_000,
    request: { clientId: 'c', clientName: 'C', redirectUri: 'https://a.example/cb', codeChallenge: 'x', scope: 's', resource: 'r' },
    codesSent: 1,
  });
  const code = (signInId: string, email: string, codeHash: string) => ({
    signInId,
    email,
    codeHash,
    requestedBy: '198.51.100.1',
    failures: 0,
    usableUntil: 1_300,
    expiresAt: 2_000,
  });
  for (const id of ['s1', 's2', 's3']) await store.signIns.insert(signIn(id));
  await store.oneTimeCodes.put(code('s1', 'a@demo.example', 'h1'));
  await store.oneTimeCodes.put(code('s1', 'a@demo.example', 'h1b'));
  await store.oneTimeCodes.put(code('s2', 'a@demo.example', 'h2'));
  await store.oneTimeCodes.put(code('s3', 'b@demo.example', 'h3'));
  assert.equal((await store.oneTimeCodes.get('s1'))?.codeHash, 'h1b', 'the new code replaced the old');
  assert.equal(await store.oneTimeCodes.fail('s1'), 1);
  assert.equal(await store.oneTimeCodes.fail('s1'), 2);
  assert.equal(await store.oneTimeCodes.deleteForEmail('a@demo.example'), 2);
  assert.equal(await store.oneTimeCodes.get('s2'), undefined);
  assert.equal(await store.oneTimeCodes.fail('s1'), undefined, 'a wrong try on an invalidated code finds nothing');
  assert.equal((await store.oneTimeCodes.get('s3'))?.codeHash, 'h3', "another user's code stays");
  await store.signIns.delete('s3');
  assert.equal(await store.oneTimeCodes.get('s3'), undefined, 'gone with its sign-in');
});

test('a transaction that throws leaves nothing behind', async () => {
  await assert.rejects(
    store.transaction(async (tx) => {
      await tx.grants.insert(grant('half-done', 10_000));
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(await store.grants.get('half-done'), undefined);
});

test('signing keys: private parts encrypted at rest, unreadable with another key-encryption key', async () => {
  const keyDb = await openDatabase('memory://');
  try {
    await migrate(keyDb);
    const keyStore = createStore(keyDb);
    const options = { store: keyStore, algorithm: 'ES256' as const, maxTokenLifetimeSeconds: 900, now: () => 1_000, log: quiet };
    const keys = await SigningKeys.open({ ...options, encryption: new KeyEncryption('the-right-key-encryption-key-0123456789') });
    keys.close();
    const [stored] = await keyStore.signingKeys.list(1_000);
    assert.match(stored!.privateKey, /^v1\./);
    assert.doesNotMatch(stored!.privateKey, /PRIVATE KEY|MII/);
    await assert.rejects(
      SigningKeys.open({ ...options, encryption: new KeyEncryption('another-key-encryption-key-0123456789ab') }),
      (error: Error) => error instanceof KeyDecryptionError && /KEY_ENCRYPTION_KEY/.test(error.message),
    );
  } finally {
    await keyDb.close();
  }
});

test('instances on one database: one first key, and rotations asked for together make one new key', async () => {
  const keyDb = await openDatabase('memory://');
  try {
    await migrate(keyDb);
    const options = {
      store: createStore(keyDb),
      algorithm: 'ES256' as const,
      encryption: new KeyEncryption('the-right-key-encryption-key-0123456789'),
      maxTokenLifetimeSeconds: 900,
      now: () => 1_000,
      log: quiet,
    };
    const [a, b] = await Promise.all([SigningKeys.open(options), SigningKeys.open(options)]);
    try {
      assert.equal(a.currentKid, b.currentKid, 'both sign with the one first key');
      const first = a.currentKid;
      const made = await Promise.all([a.rotate(), b.rotate()]);
      assert.deepEqual(made.sort(), [false, true], 'one of them made the new key');
      assert.equal(a.currentKid, b.currentKid);
      assert.notEqual(a.currentKid, first);
      const published = (jwks: string) => (JSON.parse(jwks) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
      assert.deepEqual(published(await a.jwks()), [first, a.currentKid].sort());
      assert.deepEqual(published(await b.jwks()), published(await a.jwks()));
    } finally {
      a.close();
      b.close();
    }
  } finally {
    await keyDb.close();
  }
});

/** Opens signing keys on a database of their own, as an instance configured for `algorithm` would. */
async function keyDatabase() {
  const keyDb = await openDatabase('memory://');
  await migrate(keyDb);
  const lines: string[] = [];
  let now = 1_000;
  const open = (algorithm: TokenSigningAlgorithm) =>
    SigningKeys.open({
      store: createStore(keyDb),
      algorithm,
      encryption: new KeyEncryption('the-right-key-encryption-key-0123456789'),
      maxTokenLifetimeSeconds: 900,
      now: () => now,
      log: { info: (line: string) => lines.push(line), error: (line: string) => lines.push(line) },
    });
  return { open, lines, advance: (seconds: number) => (now += seconds), close: () => keyDb.close() };
}

const published = async (keys: SigningKeys) => JSON.parse(await keys.jwks()) as { keys: JWK[] };

for (const algorithm of TOKEN_SIGNING_ALGORITHMS) {
  test(`${algorithm}: tokens are signed ${algorithm} and verify against the published JWKS with that algorithm`, async () => {
    const db = await keyDatabase();
    const keys = await db.open(algorithm);
    try {
      const token = await keys.sign({ sub: 'john.doe@demo.example' });
      assert.equal(decodeProtectedHeader(token).alg, algorithm);
      const jwks = await published(keys);
      assert.deepEqual(
        jwks.keys.map((k) => [k.kid, k.alg]),
        [[keys.currentKid, algorithm]],
      );
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: [algorithm], typ: 'at+jwt' });
      assert.equal(payload.sub, 'john.doe@demo.example');
    } finally {
      keys.close();
      await db.close();
    }
  });
}

test('a database whose key is PS256 opened for ES256: new tokens are ES256, the PS256 key stays published until its tokens expire', async () => {
  const db = await keyDatabase();
  try {
    const before = await db.open('PS256');
    const oldKid = before.currentKid;
    const oldToken = await before.sign({ sub: 'john.doe@demo.example' });
    before.close();

    const keys = await db.open('ES256');
    try {
      assert.notEqual(keys.currentKid, oldKid);
      assert.equal(db.lines.length, 1, db.lines.join('\n'));
      assert.match(db.lines[0]!, new RegExp(`signing key ${oldKid} signs PS256 but ES256 is configured`));
      const newToken = await keys.sign({ sub: 'john.doe@demo.example' });
      assert.deepEqual(decodeProtectedHeader(newToken), { alg: 'ES256', typ: 'at+jwt', kid: keys.currentKid });
      const jwks = await published(keys);
      assert.deepEqual(
        jwks.keys.map((k) => [k.kid, k.alg]),
        [
          [keys.currentKid, 'ES256'],
          [oldKid, 'PS256'],
        ],
      );
      await jwtVerify(oldToken, createLocalJWKSet(jwks), { algorithms: ['PS256'], typ: 'at+jwt' });

      const again = await db.open('ES256');
      again.close();
      assert.equal(again.currentKid, keys.currentKid, 'a key of the configured algorithm is kept');
      assert.equal(db.lines.length, 1);

      db.advance(900 + 61);
      assert.deepEqual(
        (await published(keys)).keys.map((k) => k.kid),
        [keys.currentKid],
      );
    } finally {
      keys.close();
    }
  } finally {
    await db.close();
  }
});
