/**
 * The benchmark's authorization-server part still drives the real sign-in pages and grants: a
 * change to the pages or the grants that breaks it fails here rather than in a benchmark run.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startMaildev, type Maildev } from '../support/maildev.ts';
import { measureAuthorizationServerRates, measureSignIns } from './authorization-server-rates.ts';

let maildev: Maildev;
before(async () => {
  maildev = await startMaildev();
});
after(async () => {
  await maildev?.close();
});

test('measures issuance, introspection and exchange on the embedded database', { timeout: 60_000 }, async () => {
  const rates = await measureAuthorizationServerRates({ databaseUrl: 'memory://', durationMs: 300, warmUpMs: 100, concurrency: 2 });
  for (const phase of ['issuance', 'introspection', 'exchange'] as const) {
    assert.ok(rates[phase].count > 0, `${phase}: ${JSON.stringify(rates[phase])}`);
    assert.ok(rates[phase].perSecond > 0, `${phase}: ${JSON.stringify(rates[phase])}`);
  }
});

test('measures whole sign-ins with the code read from the mail inbox', { timeout: 60_000 }, async () => {
  const signIns = await measureSignIns({ databaseUrl: 'memory://', maildev, durationMs: 500, concurrency: 2 });
  assert.ok(signIns.count > 0 && signIns.perMinute > 0, JSON.stringify(signIns));
});
