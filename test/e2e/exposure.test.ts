/**
 * What the local stack shows to anything but its gateway's clients: the services behind the
 * gateway only on loopback, the authorization server's rate limits counting a direct caller by its
 * real address whatever X-Forwarded-For it sends, and the mail inbox unreadable by other web pages.
 */
import http from 'node:http';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AS_PATHS } from '@mcp-secured-api/contracts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';

/** This machine's first non-loopback IPv4 address, if it has one. */
const outward = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

/** One request from a loopback source address of our choice (Linux answers on all of 127.0.0.0/8). */
function send(
  url: string,
  options: { from: string; method?: string; headers?: http.OutgoingHttpHeaders; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', localAddress: options.from, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the local stack from outside its gateway', { timeout: 180_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack?.stop();
  });

  test(
    'the services behind the gateway do not answer on the network, only on loopback',
    { skip: !outward && 'no network interface' },
    async () => {
      for (const port of [stack.ports.authorizationServer, stack.ports.mcpServer, stack.ports.stocksApi, stack.ports.mailWeb]) {
        const reached = await new Promise<boolean>((resolve) => {
          const socket = connect({ host: outward!, port, timeout: 2_000 });
          socket.once('connect', () => (socket.destroy(), resolve(true)));
          socket.once('error', () => resolve(false));
          socket.once('timeout', () => (socket.destroy(), resolve(false)));
        });
        assert.equal(reached, false, `port ${port} answered on ${outward}`);
      }
    },
  );

  test(
    "a direct caller's made-up X-Forwarded-For does not escape the registration limit; the gateway's clients keep their own",
    { skip: process.platform !== 'linux' && 'needs several loopback addresses (Linux)' },
    async () => {
      const register = (url: string, from: string, headers: http.OutgoingHttpHeaders = {}) =>
        send(`${url}${AS_PATHS.registration}`, {
          from,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:8090/callback'], token_endpoint_auth_method: 'none' }),
        });
      // 60 a minute per address in fixed windows: 121 requests meet the limit even across a window's end.
      const statuses: number[] = [];
      for (let i = 0; i < 121 && !statuses.includes(429); i++) {
        const answer = await register(stack.info.upstreams.authorizationServer, '127.0.0.2', {
          'x-forwarded-for': `198.51.100.${i % 250}, 203.0.113.${i % 250}`,
        });
        statuses.push(answer.status);
      }
      assert.ok(statuses.includes(429), `every one of ${statuses.length} registrations with made-up addresses was accepted`);
      assert.deepEqual(
        statuses.filter((s) => s !== 201 && s !== 429),
        [],
      );

      // Through the gateway a client on another address has its own budget: the gateway's
      // X-Forwarded-For is believed (the request names the login host as a browser would).
      const login = new URL(stack.info.login);
      const viaGateway = await register(`http://127.0.0.1:${login.port}`, '127.0.0.3', { host: login.host });
      assert.equal(viaGateway.status, 201, viaGateway.text);
    },
  );

  test("the mail inbox answers only under its own host, and without maildev's Access-Control-Allow-Origin", async () => {
    const inbox = new URL(stack.info.mail);
    const read = (host: string) =>
      send(`http://127.0.0.1:${inbox.port}/email`, { from: '127.0.0.1', headers: { host, origin: 'http://evil.example' } });
    const own = await read(inbox.host);
    assert.equal(own.status, 200);
    assert.ok(Array.isArray(JSON.parse(own.text)), 'the inbox answered');
    assert.equal(own.headers['access-control-allow-origin'], undefined, 'another web page may not read it');
    // A page whose domain was rebound to this machine names its own host.
    const rebound = await read(`evil.example:${inbox.port}`);
    assert.equal(rebound.status, 404);
    assert.doesNotMatch(rebound.text, /\[|code/i);
    // maildev's own port checks no Host and allows every origin, but serves nothing outside the
    // secret path the gateway forwards to: its pages, its API and its live updates all live there.
    for (const path of ['/email', '/', '/socket.io/?EIO=4&transport=polling']) {
      const direct = await send(`http://127.0.0.1:${stack.ports.mailWeb}${path}`, {
        from: '127.0.0.1',
        headers: { host: `evil.example:${stack.ports.mailWeb}` },
      });
      assert.equal(direct.status, 404, `maildev's own port answered ${path}`);
    }
  });
});
