import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Hono } from 'hono';
import { ApiAuthorizationError, createStocksClient } from './stocks-client.ts';
import { listen } from '../../test/support/listen.ts';
import type { Listening } from '../../test/support/listen.ts';

const COM1 = { id: 'COM1', name: 'Company 1', region: 'USA', price: 450.22 };

describe('createStocksClient', () => {
  let api: Listening;
  const seen: (string | undefined)[] = [];

  before(async () => {
    const app = new Hono();
    app.use('*', async (c, next) => {
      seen.push(c.req.header('authorization'));
      await next();
    });
    app.get('/stocks', (c) => c.json([COM1]));
    app.get('/stocks/COM1', (c) => c.json(COM1));
    app.get('/stocks/BAD', (c) => c.json({ id: 'BAD' }));
    app.get('/stocks/FAIL', (c) => c.text('boom', 500));
    app.get('/stocks/JUNK', (c) => c.body('{"id":', 200, { 'content-type': 'application/json' }));
    app.get('/stocks/HUGE', (c) => c.json({ ...COM1, padding: 'x'.repeat(2 * 1024 * 1024) }));
    app.get('/stocks/MOVED', (c) => c.redirect('/stocks/COM1'));
    // Answers long after the impatient client's time-out, which undici enforces to the next second.
    app.get('/stocks/SLOW', () => new Promise<Response>((resolve) => setTimeout(() => resolve(Response.json(COM1)), 10_000).unref()));
    app.get('/stocks/DENY', (c) =>
      c.json({ error: 'insufficient_scope' }, 403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="stocks/read"' }),
    );
    api = await listen(app);
  });
  after(() => api.close());

  it('sends the token and validates what comes back', async () => {
    const client = createStocksClient({ baseUrl: api.url });
    assert.deepEqual(await client.listStocks('t1'), [COM1]);
    assert.deepEqual(await client.getStock('t2', 'COM1'), COM1);
    assert.deepEqual(seen.slice(-2), ['Bearer t1', 'Bearer t2']);
    await client.listStocks(undefined);
    assert.equal(seen.at(-1), undefined);
    await client.close();
  });

  it('maps each failure to an error an agent can act on', async () => {
    // The default time-out for the answers that come (a busy machine may take a while to send 2 MB);
    // a short one only where the API is silent.
    const client = createStocksClient({ baseUrl: api.url });
    const impatient = createStocksClient({ baseUrl: api.url, timeoutMs: 200 });
    assert.equal(await client.getStock('t', 'NONE'), undefined);
    await assert.rejects(client.getStock('t', 'BAD'), { code: 'ERR_API_RESPONSE' });
    await assert.rejects(client.getStock('t', 'FAIL'), { code: 'ERR_API_FAILED', message: /HTTP 500/ });
    await assert.rejects(client.getStock('t', 'JUNK'), { code: 'ERR_API_RESPONSE', message: /invalid JSON/ });
    await assert.rejects(client.getStock('t', 'HUGE'), { code: 'ERR_API_RESPONSE', message: /more data than expected/ });
    // Redirects are not followed: the token would go wherever the API points.
    await assert.rejects(client.getStock('t', 'MOVED'), { code: 'ERR_API_FAILED', message: /HTTP 302/ });
    await assert.rejects(impatient.getStock('t', 'SLOW'), { code: 'ERR_API_TIMEOUT', message: /within 0\.2 s/ });
    await assert.rejects(
      client.getStock('t', 'DENY'),
      (err: unknown) => err instanceof ApiAuthorizationError && err.status === 403 && /scope/.test(err.challenge!),
    );
    const unreachable = createStocksClient({ baseUrl: 'http://127.0.0.1:9' });
    await assert.rejects(unreachable.listStocks('t'), { code: 'ERR_API_UNREACHABLE' });
    await Promise.all([client.close(), impatient.close(), unreachable.close()]);
  });
});
