import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { databaseInitScript, passwordVariable, postgresUrl } from './postgres.ts';

describe('databaseInitScript', () => {
  it('never carries a password, only the names of the variables that hold them', () => {
    const script = databaseInitScript(['authorization_server', 'curity']);
    assert.match(script, /\\getenv password DB_PASSWORD_AUTHORIZATION_SERVER/);
    assert.match(script, /\\getenv password DB_PASSWORD_CURITY/);
    assert.doesNotMatch(script, /PASSWORD '[^']/);
  });

  it('refuses a name that is not a plain identifier', () => {
    assert.throws(() => databaseInitScript(['bad"; DROP DATABASE x; --']), /not a plain lower-case PostgreSQL identifier/);
  });

  // Runs the script twice against the PostgreSQL server of TEST_DATABASE_URL, as the deployment does
  // on a first and a second `pulumi up`, then connects as each new role with its password.
  const server = process.env.TEST_DATABASE_URL;
  const psql = spawnSync('psql', ['--version']).status === 0;
  const skip = !server
    ? 'TEST_DATABASE_URL is not set (no PostgreSQL server to run the script against)'
    : !psql
      ? 'psql is not installed'
      : false;

  it('creates each database and role once, and sets passwords again on a second run', { skip }, async () => {
    const suffix = randomBytes(4).toString('hex');
    const names = [`t_as_${suffix}`, `t_curity_${suffix}`];
    const dir = await mkdtemp(join(tmpdir(), 'postgres-init-'));
    const file = join(dir, 'init.sql');
    await writeFile(file, databaseInitScript(names));
    const run = (env: Record<string, string>, url = server!, args = ['-f', file]) =>
      spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', url, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
    const passwords = (p: string) => Object.fromEntries(names.map((n) => [passwordVariable(n), `${p}-${n}`]));
    try {
      const first = run(passwords('one'));
      assert.equal(first.status, 0, first.stderr);
      const second = run(passwords('two'));
      assert.equal(second.status, 0, second.stderr);

      const base = new URL(server!);
      for (const name of names) {
        const url = postgresUrl({
          host: base.hostname,
          port: Number(base.port || 5432),
          database: name,
          user: name,
          password: `two-${name}`,
        });
        const who = run({}, url, ['-tAc', 'select current_user, current_database()']);
        assert.equal(who.status, 0, who.stderr);
        assert.equal(who.stdout.trim(), `${name}|${name}`);
      }

      const missing = run({});
      assert.notEqual(missing.status, 0, 'a missing password variable stops the script');
      assert.match(missing.stderr, /DB_PASSWORD_T_AS_/);
    } finally {
      for (const name of names) run({}, server!, ['-c', `DROP DATABASE IF EXISTS ${name}`, '-c', `DROP ROLE IF EXISTS ${name}`]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('postgresUrl', () => {
  it('encodes the user and password', () => {
    assert.equal(
      postgresUrl({ host: 'postgres', port: 5432, database: 'curity', user: 'curity', password: 'a/b@c:d' }),
      'postgres://curity:a%2Fb%40c%3Ad@postgres:5432/curity',
    );
  });
});
