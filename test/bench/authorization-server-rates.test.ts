/**
 * The benchmark's authorization-server part still drives the real sign-in pages and grants: a
 * change to the pages or the grants that breaks it fails here rather than in a benchmark run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureAuthorizationServerRates } from './authorization-server-rates.ts';

test('measures issuance, introspection and exchange on the embedded database', { timeout: 60_000 }, async () => {
  const rates = await measureAuthorizationServerRates({ databaseUrl: 'memory://', durationMs: 300, warmUpMs: 100, concurrency: 2 });
  for (const phase of ['issuance', 'introspection', 'exchange'] as const) {
    assert.ok(rates[phase].count > 0, `${phase}: ${JSON.stringify(rates[phase])}`);
    assert.ok(rates[phase].perSecond > 0, `${phase}: ${JSON.stringify(rates[phase])}`);
  }
});
