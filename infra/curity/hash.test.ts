import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { CurityHashError, sha256Crypt } from './hash.ts';

describe('sha256Crypt', () => {
  it(
    'writes SHA-256 crypt ($5$) exactly as `openssl passwd -5` does, which is how Curity’s examples hash secrets',
    {
      skip: spawnSync('openssl', ['version']).status === 0 ? false : 'openssl is not installed',
    },
    () => {
      for (const [secret, salt] of [
        ['Password1', 'abcdefgh'],
        ['a-40-character-secret-from-random-password', 'AbCdEfGh12345678'],
        ['with spaces and ünïcödé', './09azAZ./09azAZ'],
      ] as const) {
        const openssl = spawnSync('openssl', ['passwd', '-5', '-salt', salt, '-stdin'], { input: secret, encoding: 'utf8' });
        assert.equal(sha256Crypt(secret, salt), openssl.stdout.trim());
      }
    },
  );

  it('is the same for the same secret and salt, and differs with either', () => {
    const hash = sha256Crypt('secret', 'saltsaltsalt1234');
    assert.match(hash, /^\$5\$saltsaltsalt1234\$[./0-9A-Za-z]{43}$/);
    assert.equal(sha256Crypt('secret', 'saltsaltsalt1234'), hash);
    assert.notEqual(sha256Crypt('secret', 'saltsaltsalt1235'), hash);
    assert.notEqual(sha256Crypt('secreT', 'saltsaltsalt1234'), hash);
  });

  it('refuses salts crypt would cut or misread, and empty secrets', () => {
    for (const salt of ['short', 'x'.repeat(17), 'has-dash12345678', 'has$dollar123456']) {
      assert.throws(
        () => sha256Crypt('secret', salt),
        (e: unknown) => e instanceof CurityHashError && e.code === 'ERR_CURITY_HASH_INPUT' && /salt/.test(e.message),
      );
    }
    assert.throws(() => sha256Crypt('', 'saltsaltsalt1234'), /secret to hash is empty/);
  });
});
