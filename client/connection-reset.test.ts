import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { resendOnReset } from './connection-reset.ts';

/** A server that resets the connection of its first `resets` requests, then answers. */
async function resettingServer(resets: number): Promise<{ server: Server; url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    if (requests <= resets) req.socket.resetAndDestroy();
    else res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, requests: () => requests };
}

const servers: Server[] = [];
after(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

test('a request whose connection is reset before an answer is sent again, body and all', async () => {
  const { server, url, requests } = await resettingServer(1);
  servers.push(server);
  const response = await resendOnReset()(url, { method: 'POST', body: '{"jsonrpc":"2.0"}' });
  assert.equal(await response.text(), 'ok');
  assert.equal(requests(), 2);
});

test('a server that keeps resetting gets three tries, then the reset is reported', async () => {
  const { server, url, requests } = await resettingServer(Infinity);
  servers.push(server);
  await assert.rejects(resendOnReset()(url), (err: Error & { cause?: { code?: string } }) => err.cause?.code === 'ECONNRESET');
  assert.equal(requests(), 3);
});

test('a body that cannot be sent again (a stream) is not', async () => {
  const { server, url, requests } = await resettingServer(1);
  servers.push(server);
  const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('x')), c.close()) });
  await assert.rejects(resendOnReset()(url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit));
  assert.equal(requests(), 1);
});
