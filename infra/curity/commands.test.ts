/**
 * Runs Curity's init step and server start as the containers would, with bash and the real openssl,
 * and stand-ins for Curity's own `idsvr` and `convertks` (which need Curity's image): the stand-ins
 * record how they were called, and `convertks` opens the PKCS#12 it is given with the password and
 * alias it is given, as the real one must.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildModel, parseStackConfig } from '../model.ts';
import { CURITY_ENV, curityInitStep, curityServerStart } from './commands.ts';
import { CURITY_PARAMETERS } from './config.ts';
import { USERS_CHANGELOG_DIR, USERS_CHANGELOG_FILE } from './users.ts';

const model = buildModel(
  parseStackConfig({ domain: 'demo.example', scope: 'stocks/read', users: [{ email: 'a@demo.example', region: 'USA' }] }),
);
/** A stand-in for `idsvr` that records its arguments, folder, database and signing key. */
const recordingIdsvr = (dir: string) =>
  `echo "idsvr $* | cwd=$PWD | url=\${JDBC_URL:-} user=\${JDBC_USERNAME:-} | key=\${SIGNING_KEY:-} | pem=\${SIGNING_KEY_PEM:+set}" >> "${dir}/calls.log"`;
const tools = spawnSync('openssl', ['version']).status === 0 && spawnSync('bash', ['--version']).status === 0;

describe('the commands of Curity’s containers', { skip: tools ? false : 'bash or openssl is not installed' }, () => {
  let dir: string;
  let pem: { key: string; certificate: string };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'curity-commands-'));
    const bin = join(dir, 'bin');
    spawnSync('mkdir', [bin]);
    const stub = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/usr/bin/env bash\nset -euo pipefail\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    stub('idsvr', recordingIdsvr(dir));
    stub(
      'convertks',
      [
        // --in-password P --in-alias A --in-entry-password P --in-keystore B64
        'declare -A a; while [ $# -gt 0 ]; do a[$1]="$2"; shift 2; done',
        'printf \'%s\' "${a[--in-keystore]}" | openssl base64 -d -A > "$TMPDIR/ks.p12"',
        'openssl pkcs12 -in "$TMPDIR/ks.p12" -passin "pass:${a[--in-password]}" -nodes -info 2>/dev/null | grep -q "friendlyName: ${a[--in-alias]}"',
        'echo "data:application/p12;converted,$(openssl dgst -sha256 -r "$TMPDIR/ks.p12" | cut -c1-8)"',
      ].join('\n'),
    );
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=signing'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(made.status, 0, made.stderr);
    pem = { key: readFileSync(keyFile, 'utf8'), certificate: readFileSync(certFile, 'utf8') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function run(command: string[], env: Record<string, string>) {
    assert.equal(command[0], 'bash');
    // The changelog's folder is the image's; here a temporary one stands in for it.
    const script = command[2]!.replaceAll(USERS_CHANGELOG_DIR, dir);
    rmSync(join(dir, 'calls.log'), { force: true });
    const result = spawnSync('bash', ['-c', script], {
      encoding: 'utf8',
      env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, TMPDIR: dir, ...env },
    });
    let calls: string[] = [];
    try {
      calls = readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');
    } catch {
      // no call was made
    }
    return { ...result, calls };
  }

  const pems = () => ({ [CURITY_ENV.signingKeyPem]: pem.key, [CURITY_ENV.signingCertificatePem]: pem.certificate });
  const jdbc = {
    [CURITY_ENV.jdbcUrl]: 'jdbc:postgresql://postgres:5432/curity',
    [CURITY_ENV.jdbcUsername]: 'curity',
    [CURITY_ENV.jdbcPassword]: 'pw',
  };

  it('the init step creates the schema, upgrades it, then loads the users, in that order', () => {
    const step = curityInitStep(model);
    const r = run(step.command, { ...jdbc, ...pems() });
    assert.equal(r.status, 0, r.stderr);
    const calls = r.calls.map((c) => c.split(' | '));
    assert.deepEqual(
      calls.map((c) => c[0]),
      ['idsvr -I', 'idsvr -L default', `idsvr -L ./${USERS_CHANGELOG_FILE}`],
    );
    for (const c of calls) assert.equal(c[2], 'url=jdbc:postgresql://postgres:5432/curity user=curity');
    assert.equal(calls[2]?.[1], `cwd=${dir}`, 'the users changelog is loaded by its path relative to its folder');
    assert.match(r.stdout, /Checking that Curity can read the signing key/);
    assert.match(r.stdout, /Curity's database is ready\./);
    assert.deepEqual([...step.environment].sort(), Object.keys({ ...jdbc, ...pems() }).sort());
  });

  it('the init step stops before touching the database when the signing key cannot be read', () => {
    const r = run(curityInitStep(model).command, { ...jdbc, ...pems(), [CURITY_ENV.signingKeyPem]: 'not a key' });
    assert.notEqual(r.status, 0);
    assert.deepEqual(r.calls, []);
  });

  it('the init step fails when a Curity command fails', () => {
    writeFileSync(join(dir, 'bin', 'idsvr'), '#!/usr/bin/env bash\n[ "$1" = "-L" ] && exit 3\nexit 0\n');
    try {
      const r = run(curityInitStep(model).command, { ...jdbc, ...pems() });
      assert.equal(r.status, 3);
      assert.doesNotMatch(r.stdout, /database is ready/);
    } finally {
      // restore the recording stand-in
      writeFileSync(join(dir, 'bin', 'idsvr'), `#!/usr/bin/env bash\n${recordingIdsvr(dir)}\n`);
    }
  });

  it('a P-256 key (ES256) and an Ed25519 key (EdDSA) are packed for convertks as an RSA key is', () => {
    for (const newKey of [
      ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      ['-newkey', 'ed25519'],
    ]) {
      const keyFile = join(dir, 'other-key.pem');
      const certFile = join(dir, 'other-cert.pem');
      const made = spawnSync(
        'openssl',
        ['req', '-x509', ...newKey, '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=signing'],
        {
          encoding: 'utf8',
        },
      );
      assert.equal(made.status, 0, made.stderr);
      const r = run(curityServerStart().command, {
        [CURITY_ENV.signingKeyPem]: readFileSync(keyFile, 'utf8'),
        [CURITY_ENV.signingCertificatePem]: readFileSync(certFile, 'utf8'),
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.calls[0] ?? '', /key=data:application\/p12;converted,[0-9a-f]{8}/, newKey.join(' '));
    }
  });

  it('the server starts with the signing key converted by convertks into its parameter, and no PEM left', () => {
    const start = curityServerStart();
    const r = run(start.command, pems());
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.calls.length, 1);
    const [call, , , key, left] = r.calls[0]!.split(' | ');
    assert.equal(call, 'idsvr ', 'idsvr with no arguments, as the image runs it');
    assert.match(key!, /^key=data:application\/p12;converted,[0-9a-f]{8}$/);
    assert.equal(left, 'pem=', 'the PEM is not left in the server’s environment');
    assert.ok(start.environment.includes(CURITY_ENV.signingKeyPem));
    assert.ok(!start.environment.includes(CURITY_PARAMETERS.signingKey), 'SIGNING_KEY is made, not given');
  });
});
