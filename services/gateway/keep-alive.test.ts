/**
 * Kept-alive connections to services and to the introspection endpoint: the gateway lets one go
 * before the server's announced Keep-Alive time-out ends, so it never sends a request on a
 * connection the server is closing (which would fail it with a reset: a 502, or a 500 for an
 * introspection).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { loadKongConfig } from './config.ts';
import { serveGateway, type RunningGateway } from './serve.ts';
import { GATEWAY_CLIENT, makeJwt, request } from '../../test/support/gateway-peers.ts';

/** A server that closes idle connections after 3 s (announced as Keep-Alive: timeout=3) and counts them. */
async function shortKeepAliveServer(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  server.keepAliveTimeout = 3_000;
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let service: Awaited<ReturnType<typeof shortKeepAliveServer>>;
let introspection: Awaited<ReturnType<typeof shortKeepAliveServer>>;
let gateway: RunningGateway;
let jwt: string;

before(async () => {
  jwt = await makeJwt({ scope: 'stocks/read' });
  service = await shortKeepAliveServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  introspection = await shortKeepAliveServer((_req, res) => res.writeHead(200, { 'content-type': 'application/jwt' }).end(jwt));
  const config = loadKongConfig(`
_format_version: "3.0"
services:
  - name: mcp-server
    url: ${service.url}
    routes:
      - name: mcp-route
        hosts: [mcp.demo.example]
        paths: [/]
        strip_path: false
        plugins:
          - name: phantom-token
            config:
              introspection_endpoint: ${introspection.url}/introspect
              client_id: ${GATEWAY_CLIENT.id}
              client_secret: ${GATEWAY_CLIENT.secret}
              token_cache_seconds: 300
`);
  gateway = await serveGateway(config, [{ port: 0, virtualHost: 'mcp.demo.example' }], { log: () => {} });
});

after(async () => {
  await gateway?.close();
  await service?.close();
  await introspection?.close();
});

test('a connection idle for most of the server’s Keep-Alive time-out is not reused: a new one is opened', async () => {
  const call = (token: string) => request(gateway.listeners[0]!.url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await call('first-opaque-token')).status, 200);
  assert.deepEqual([service.connections, introspection.connections], [1, 1]);
  // 2.5 s idle: within the server's 3 s, but past the point where a request could meet its close.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  // Another token, so that the gateway introspects again.
  assert.equal((await call('second-opaque-token')).status, 200);
  assert.deepEqual([service.connections, introspection.connections], [2, 2], 'both the service and introspection got a new connection');
});
