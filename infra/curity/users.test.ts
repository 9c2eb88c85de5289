import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { create } from 'xmlbuilder2';
import { buildModel, parseStackConfig, type StackConfigInput } from '../model.ts';
import { ACCOUNT_COLUMNS, ACCOUNTS_TABLE, accountId, generateUsersChangelog, MANAGED_BY, usersSql } from './users.ts';

/**
 * The `accounts` table of Curity's PostgreSQL schema (postgres-create_database.sql, 11.x; see
 * SOURCES.md): its columns and types. Written here from that published script, so the changelog is
 * checked against it and run against a real table of that shape.
 */
const CURITY_ACCOUNTS = {
  account_id: 'VARCHAR(64) PRIMARY KEY NOT NULL',
  tenant_id: 'VARCHAR(64)',
  username: 'VARCHAR(64) NOT NULL',
  password: 'VARCHAR(128)',
  email: 'VARCHAR(64)',
  phone: 'VARCHAR(32)',
  attributes: 'JSONB',
  active: 'SMALLINT NOT NULL DEFAULT 0',
  created: 'BIGINT NOT NULL',
  updated: 'BIGINT NOT NULL',
} as const;
const CURITY_ACCOUNTS_DDL = [
  `CREATE TABLE accounts (${Object.entries(CURITY_ACCOUNTS)
    .map(([c, t]) => `${c} ${t}`)
    .join(', ')});`,
  // The default tenant's uniqueness, as the schema declares it.
  'CREATE UNIQUE INDEX idx_accounts_tenant_username_default ON accounts(username) WHERE tenant_id IS NULL;',
  'CREATE UNIQUE INDEX idx_accounts_tenant_email_default ON accounts(email) WHERE tenant_id IS NULL;',
];

const dev: StackConfigInput = {
  domain: 'demo.example',
  scope: 'stocks/read',
  users: [
    { email: 'john.doe@demo.example', region: 'USA' },
    { email: 'jane.test@demo.example', region: 'Europe' },
  ],
};
const model = (users: StackConfigInput['users']) => buildModel(parseStackConfig({ ...dev, users }));

type Node = { [key: string]: unknown };

describe('the users changelog', () => {
  const xml = generateUsersChangelog(model(dev.users));
  const log = (create(xml).end({ format: 'object' }) as Node).databaseChangeLog as Node;

  it('is one Liquibase changeset that runs on every init step and may change with the model', () => {
    assert.equal(log['@xmlns'], 'http://www.liquibase.org/xml/ns/dbchangelog');
    const changeSet = log.changeSet as Node;
    assert.ok(!Array.isArray(changeSet));
    assert.equal(changeSet['@runAlways'], 'true');
    assert.equal(changeSet['@runOnChange'], 'true');
    const statements = [changeSet.sql].flat() as Node[];
    assert.equal(statements.length, 2);
    for (const s of statements) {
      assert.equal(s['@dbms'], 'postgresql');
      assert.equal(s['@splitStatements'], 'false');
    }
  });

  it('writes only the accounts table and columns of Curity’s PostgreSQL schema', () => {
    assert.equal(ACCOUNTS_TABLE, 'accounts');
    for (const column of ACCOUNT_COLUMNS) assert.ok(column in CURITY_ACCOUNTS, `${column} is a column of Curity's accounts table`);
    const [upsert, remove] = usersSql(model(dev.users));
    const insert = /^INSERT INTO (\w+) \(([^)]*)\)/.exec(upsert ?? '');
    assert.equal(insert?.[1], 'accounts');
    assert.deepEqual(insert?.[2]?.split(', '), [...ACCOUNT_COLUMNS]);
    for (const [, column] of (upsert ?? '').matchAll(/(?:SET |, |accounts\.|EXCLUDED\.)(\w+) /g)) {
      assert.ok(column! in CURITY_ACCOUNTS, `${column} is a column of Curity's accounts table`);
    }
    assert.match(remove ?? '', /^DELETE FROM accounts\nWHERE attributes->>'managed_by' = 'mcp-secured-api'/);
  });

  it('gives each user a stable account id and the attributes Curity reads', () => {
    assert.equal(accountId('John.Doe@demo.example'), accountId('john.doe@demo.example'));
    assert.match(accountId('john.doe@demo.example'), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(
      xml,
      /&quot;emails&quot;:\[\{&quot;value&quot;:&quot;john\.doe@demo\.example&quot;,&quot;primary&quot;:true\}\]|"emails":\[\{"value":"john\.doe@demo\.example","primary":true\}\]/,
    );
    assert.equal(generateUsersChangelog(model(dev.users)), xml, 'the same model gives the same changelog');
  });

  // Runs the changelog's statements against the PostgreSQL server of TEST_DATABASE_URL, in a table of
  // Curity's shape, as `idsvr -L` would: twice, then with a changed user list.
  const server = process.env.TEST_DATABASE_URL;
  const psql = spawnSync('psql', ['--version']).status === 0;
  const skip = !server
    ? 'TEST_DATABASE_URL is not set (no PostgreSQL server to run the changelog against)'
    : !psql
      ? 'psql is not installed'
      : false;

  it('converges the accounts to the model: idempotent, and adds and removes exactly the changed users', { skip }, () => {
    const db = `t_curity_users_${randomBytes(4).toString('hex')}`;
    const psqlRun = (url: string, sql: string) => {
      const r = spawnSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', url], { input: sql, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    psqlRun(server!, `CREATE DATABASE ${db};`);
    const url = new URL(server!);
    url.pathname = `/${db}`;
    try {
      psqlRun(url.href, CURITY_ACCOUNTS_DDL.join('\n'));
      // One transaction, as Liquibase applies a changeset.
      const apply = (users: StackConfigInput['users']) =>
        psqlRun(url.href, ['BEGIN;', ...usersSql(model(users)).map((s) => `${s};`), 'COMMIT;'].join('\n'));
      const rows = () =>
        psqlRun(url.href, `SELECT username, attributes->>'region', active, created, updated FROM accounts ORDER BY username;`)
          .split('\n')
          .filter(Boolean);

      // An account someone made in the admin UI: never touched.
      psqlRun(
        url.href,
        `INSERT INTO accounts (account_id, username, active, attributes, created, updated) VALUES ('admin-made', 'ops@demo.example', 1, '{}', 1, 1);`,
      );

      apply(dev.users);
      // Back-date the rows, so that a rewrite by the second run would show in the timestamps.
      psqlRun(url.href, `UPDATE accounts SET created = 1000, updated = 1000 WHERE account_id <> 'admin-made';`);
      const first = rows();
      assert.deepEqual(
        first.map((r) => r.split('|').slice(0, 3).join('|')),
        ['jane.test@demo.example|Europe|1', 'john.doe@demo.example|USA|1', 'ops@demo.example||1'],
      );
      apply(dev.users);
      assert.deepEqual(rows(), first, 'a second run changes nothing, not even the timestamps');

      const changed = [
        { email: 'john.doe@demo.example', region: 'Asia' },
        { email: 'ann@demo.example', region: "O'Neil; DROP TABLE accounts; --" },
      ];
      apply(changed);
      const after = rows();
      assert.deepEqual(
        after.map((r) => r.split('|').slice(0, 3).join('|')),
        ["ann@demo.example|O'Neil; DROP TABLE accounts; --|1", 'john.doe@demo.example|Asia|1', 'ops@demo.example||1'],
      );
      const created = (rowsList: string[], user: string) => rowsList.find((r) => r.startsWith(`${user}|`))?.split('|')[3];
      assert.equal(created(after, 'john.doe@demo.example'), created(first, 'john.doe@demo.example'), 'an updated user keeps its account');
      assert.equal(
        psqlRun(url.href, `SELECT count(*) FROM accounts WHERE attributes->>'${MANAGED_BY.attribute}' = '${MANAGED_BY.value}';`),
        '2',
      );
    } finally {
      psqlRun(server!, `DROP DATABASE IF EXISTS ${db} WITH (FORCE);`);
    }
  });
});
