import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
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

function limited(trustProxy: string[]) {
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

/** Posts from a loopback source address of our choice (Linux answers on all of 127.0.0.0/8). */
function poster(url: string, from: string) {
  const post = (xff?: string) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', localAddress: from, headers: xff ? { 'x-forwarded-for': xff } : {} }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });
  return { post, close: async () => {} };
}

test('behind a trusted gateway, each client counts by the address the gateway appended to X-Forwarded-For', async () => {
  const server = await listen(limited(['127.0.0.1']));
  const gateway = poster(server.url, '127.0.0.1');
  try {
    assert.equal((await gateway.post('198.51.100.1')).status, 200);
    assert.equal(
      (await gateway.post('203.0.113.9, 198.51.100.1')).status,
      200,
      'the gateway appended the last entry; the first is the client’s own claim',
    );
    const refused = await gateway.post('198.51.100.1');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal((await gateway.post('198.51.100.2')).status, 200, 'another address has its own budget');
  } finally {
    await gateway.close();
    await server.close();
  }
});

test(
  'a client reaching the server directly cannot choose its address with X-Forwarded-For',
  { skip: process.platform !== 'linux' && 'needs 127.0.0.2 (Linux)' },
  async () => {
    const server = await listen(limited(['127.0.0.1']));
    const direct = poster(server.url, '127.0.0.2');
    try {
      assert.equal((await direct.post('198.51.100.1')).status, 200);
      assert.equal((await direct.post('198.51.100.2')).status, 200);
      assert.equal((await direct.post('198.51.100.3')).status, 429, 'counted by its own address, 127.0.0.2');
      assert.equal((await direct.post('127.0.0.1')).status, 429, "naming the gateway's address does not help either");
    } finally {
      await direct.close();
      await server.close();
    }
  },
);

test('without trusted proxies, X-Forwarded-For is ignored', async () => {
  const server = await listen(limited([]));
  const client = poster(server.url, '127.0.0.1');
  try {
    assert.equal((await client.post('198.51.100.1')).status, 200);
    assert.equal((await client.post('198.51.100.2')).status, 200);
    assert.equal((await client.post('198.51.100.3')).status, 429);
  } finally {
    await client.close();
    await server.close();
  }
});
