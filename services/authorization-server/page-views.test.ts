import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientIdentity, describeScopes, duration } from './page-views.ts';

test('a metadata-document client has a verified host; a registered client has only the name it chose', () => {
  assert.deepEqual(clientIdentity({ clientId: 'https://agents.example.com/client.json', clientName: 'Agent' }), {
    name: 'Agent',
    verifiedHost: 'agents.example.com',
  });
  assert.deepEqual(clientIdentity({ clientId: 'a1b2c3', clientName: 'Microsoft Copilot' }), { name: 'Microsoft Copilot' });
});

test('each permission once, in plain words; offline access on its own line', () => {
  const config = { scope: 'stocks/read', scopeDescription: 'Read stock prices for your region' };
  assert.deepEqual(describeScopes('stocks/read stocks/read offline_access', config), [
    { scope: 'stocks/read', description: 'Read stock prices for your region' },
    { scope: 'offline_access', description: 'Keep access while you are away, until you revoke it' },
  ]);
});

test('lifetimes in words', () => {
  assert.equal(duration(900), '15 minutes');
  assert.equal(duration(60), '1 minute');
  assert.equal(duration(3600), '1 hour');
  assert.equal(duration(7200), '2 hours');
  assert.equal(duration(30), '30 seconds');
  assert.equal(duration(1), '1 second');
});
