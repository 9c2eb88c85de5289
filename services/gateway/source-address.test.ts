// The gateway connects to services from the address it is given, so a service can tell it apart
// from every other process on the machine (the local stack trusts only that address).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadKongConfig } from './config.ts';
import { serveGateway, type RunningGateway } from './serve.ts';
import { request } from '../../test/support/gateway-peers.ts';

describe('the gateway connects from its own address', { skip: process.platform !== 'linux' && 'needs 127.0.0.0/8 (Linux)' }, () => {
  let upstream: http.Server;
  let gateway: RunningGateway;
  let plain: RunningGateway;
  const seen: { remote?: string; forwardedFor?: string }[] = [];

  before(async () => {
    upstream = http.createServer((req, res) => {
      seen.push({ remote: req.socket.remoteAddress, forwardedFor: req.headers['x-forwarded-for'] as string | undefined });
      res.end('ok');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const config = loadKongConfig(`
_format_version: "3.0"
services:
  - name: upstream
    url: http://127.0.0.1:${(upstream.address() as AddressInfo).port}
    routes:
      - name: all
        paths: [/]
`);
    gateway = await serveGateway(config, [{ port: 0 }], { log: () => {}, sourceAddress: '127.0.100.1' });
    plain = await serveGateway(config, [{ port: 0 }], { log: () => {} });
  });
  after(async () => {
    await gateway?.close();
    await plain?.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('from sourceAddress when given, appending its own client to X-Forwarded-For', async () => {
    assert.equal((await request(gateway.listeners[0]!.url, { path: '/x' })).status, 200);
    assert.deepEqual(seen.at(-1), { remote: '127.0.100.1', forwardedFor: '127.0.0.1' });
  });

  it("from the system's choice otherwise", async () => {
    assert.equal((await request(plain.listeners[0]!.url, { path: '/x' })).status, 200);
    assert.equal(seen.at(-1)?.remote, '127.0.0.1');
  });
});
