import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStore } from './store.ts';

test('maps are capped: a flood evicts the oldest entries instead of growing', async () => {
  const store = createMemoryStore({ clients: 3 });
  const client = (id: string) => ({
    clientId: id,
    tokenEndpointAuthMethod: 'none' as const,
    redirectUris: [],
    scope: 's',
    issuedAt: 0,
    expiresAt: 1,
  });
  for (const id of ['a', 'b', 'c', 'd', 'e']) await store.clients.set(id, client(id), 3600);
  assert.equal(await store.clients.get('a'), undefined);
  assert.equal(await store.clients.get('b'), undefined);
  assert.equal((await store.clients.get('e'))?.clientId, 'e');
});

test('entries expire after their time to live, and take() removes what it returns', async () => {
  const store = createMemoryStore();
  await store.activeTokenIds.set('short', 'token', 1);
  await store.activeTokenIds.set('long', 'token', 60);
  assert.equal(await store.activeTokenIds.take('long'), 'token');
  assert.equal(await store.activeTokenIds.get('long'), undefined);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  assert.equal(await store.activeTokenIds.get('short'), undefined);
});
