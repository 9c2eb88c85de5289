import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as pulumi from '@pulumi/pulumi';
import { splitEnvironment } from './environment.ts';

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((done) => o.apply(done));

test('variables that carry a secret, however derived, are read from the Secret; the others stay inline', async () => {
  const split = splitEnvironment(
    (s) => ({
      PORT: '3000',
      CLIENT_SECRET: s.clientSecret,
      DATABASE_URL: `postgresql://app:${s.password}@db:5432/app`,
      HASHED: createHash('sha256').update(s.clientSecret).digest('hex'),
      PASSWORD_LENGTH_IS_PUBLIC: 'no',
    }),
    { clientSecret: pulumi.secret('s3cret'), password: pulumi.output('pw') },
    'app-env',
  );
  assert.deepEqual(split.secretKeys, ['CLIENT_SECRET', 'DATABASE_URL', 'HASHED']);
  assert.deepEqual(split.env, [
    { name: 'PORT', value: '3000' },
    { name: 'CLIENT_SECRET', valueFrom: { secretKeyRef: { name: 'app-env', key: 'CLIENT_SECRET' } } },
    { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'app-env', key: 'DATABASE_URL' } } },
    { name: 'HASHED', valueFrom: { secretKeyRef: { name: 'app-env', key: 'HASHED' } } },
    { name: 'PASSWORD_LENGTH_IS_PUBLIC', value: 'no' },
  ]);
  assert.deepEqual(await value(split.secretData), {
    CLIENT_SECRET: 's3cret',
    DATABASE_URL: 'postgresql://app:pw@db:5432/app',
    HASHED: createHash('sha256').update('s3cret').digest('hex'),
  });
  assert.equal(await pulumi.isSecret(split.secretData), true);
  assert.equal(await pulumi.isSecret(split.checksum), true);
  assert.match(await value(split.checksum), /^[0-9a-f]{64}$/);
});

test('an environment without secrets needs no Secret', () => {
  const split = splitEnvironment(() => ({ A: '1' }), {}, 'x-env');
  assert.deepEqual(split.secretKeys, []);
  assert.deepEqual(split.env, [{ name: 'A', value: '1' }]);
});
