import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { listen } from '../../test/support/listen.ts';
import { rateLimit, type RequestCounter } from './rate-limit.ts';

/** Counts per address in one window that never ends (the database's counting is tested with the store). */
function counter(): RequestCounter {
  const counts = new Map<string, number>();
  return async (address) => {
    counts.set(address, (counts.get(address) ?? 0) + 1);
    return { count: counts.get(address)!, resetAt: 1_060 };
  };
}

function limited(trustProxy: boolean) {
  const app = new Hono();
  app.post(
    '/',
    rateLimit({
      limit: 2,
      windowSeconds: 60,
      what: 'requests',
      trustProxy,
      count: counter(),
      now: () => 1_000,
      refuse: (c, _retry, message) => c.text(message, 429),
    }),
    (c) => c.text('ok'),
  );
  return app;
}

test('counts per address; behind a trusted gateway, per the address it appended to X-Forwarded-For', async () => {
  const server = await listen(limited(true));
  try {
    const post = (xff?: string) => fetch(server.url, { method: 'POST', headers: xff ? { 'x-forwarded-for': xff } : {} });
    assert.equal((await post('198.51.100.1')).status, 200);
    assert.equal((await post('203.0.113.9, 198.51.100.1')).status, 200, 'the last entry counts, not what the client wrote first');
    const refused = await post('198.51.100.1');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal((await post('198.51.100.2')).status, 200, 'another address has its own budget');
  } finally {
    await server.close();
  }
});

test('without a trusted gateway, X-Forwarded-For is ignored', async () => {
  const server = await listen(limited(false));
  try {
    const post = (xff: string) => fetch(server.url, { method: 'POST', headers: { 'x-forwarded-for': xff } });
    assert.equal((await post('198.51.100.1')).status, 200);
    assert.equal((await post('198.51.100.2')).status, 200);
    assert.equal((await post('198.51.100.3')).status, 429);
  } finally {
    await server.close();
  }
});
