import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadKongConfig } from './config.ts';
import { serveGateway, type RunningGateway } from './serve.ts';
import { GATEWAY_CLIENT, makeJwt, startIntrospection } from '../../test/support/gateway-peers.ts';
import { closed, exchange, requestUpgrade, startWebSocketUpstream, webSocketAccept } from '../../test/support/websocket-peers.ts';

type WebSocketUpstream = Awaited<ReturnType<typeof startWebSocketUpstream>>;

describe('WebSocket upgrades through the development gateway, as Kong proxies them', () => {
  let mail: WebSocketUpstream;
  let mcp: WebSocketUpstream;
  let introspection: Awaited<ReturnType<typeof startIntrospection>>;
  let gateway: RunningGateway;
  let url: string;

  before(async () => {
    [mail, mcp, introspection] = await Promise.all([startWebSocketUpstream(), startWebSocketUpstream(), startIntrospection()]);
    const config = loadKongConfig(`
_format_version: "3.0"
services:
  - name: mail
    url: ${mail.url}
    read_timeout: 400
    routes:
      - name: mail
        hosts: [mail.demo.example]
        paths: [/]
        strip_path: false
      - name: mail-https-only
        hosts: [secure.demo.example]
        protocols: [https]
  - name: mcp-server
    url: ${mcp.url}
    routes:
      - name: mcp
        hosts: [mcp.demo.example]
        preserve_host: true
        plugins:
          - name: phantom-token
            config:
              introspection_endpoint: ${introspection.endpoint}
              client_id: ${GATEWAY_CLIENT.id}
              client_secret: ${GATEWAY_CLIENT.secret}
`);
    gateway = await serveGateway(config, [{ port: 0 }], { log: () => {} });
    url = gateway.listeners[0]!.url;
  });

  after(async () => {
    await gateway?.close();
    await Promise.all([mail, mcp, introspection].map((s) => s?.close()));
  });

  it('switches protocols on an open route and carries bytes both ways, with the X-Forwarded headers', async () => {
    const result = await requestUpgrade(url, { path: '/socket.io/?EIO=4&transport=websocket', headers: { host: 'mail.demo.example' } });
    assert.ok(result.upgraded, `expected 101, got ${result.status}`);
    assert.equal(result.headers['sec-websocket-accept'], webSocketAccept('dGhlIHNhbXBsZSBub25jZQ=='));
    assert.equal(result.headers['x-upstream'], 'yes', "the upstream's own 101");
    assert.equal(await exchange(result.socket, 'ping'), 'upstream:ping');
    assert.equal(await exchange(result.socket, 'again'), 'upstream:again');

    const seen = mail.upgrades.at(-1)!;
    assert.equal(seen.path, '/socket.io/?EIO=4&transport=websocket');
    assert.equal(seen.headers.upgrade, 'websocket');
    assert.match(String(seen.headers.connection), /upgrade/i);
    assert.equal(seen.headers['x-forwarded-host'], 'mail.demo.example');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers.host, new URL(mail.url).host, 'preserve_host is false: the upstream host');

    result.socket.destroy();
    await waitFor(() => mail.openCount() === 0, 'the upstream side closes when the client goes');
  });

  it("runs the route's plugins first: no token, no upgrade; a token is swapped for its JWT", async () => {
    const refused = await requestUpgrade(url, { headers: { host: 'mcp.demo.example' } });
    assert.equal(refused.upgraded, false);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['www-authenticate'], 'Bearer');
    assert.equal(mcp.upgrades.length, 0, 'the upstream never saw the refused upgrade');

    const jwt = await makeJwt({ scope: 'stocks/read' });
    introspection.tokens.set('opaque-token-for-websocket', { jwt });
    const allowed = await requestUpgrade(url, {
      headers: { host: 'mcp.demo.example', authorization: 'Bearer opaque-token-for-websocket' },
    });
    assert.ok(allowed.upgraded);
    assert.equal(mcp.upgrades.at(-1)!.headers.authorization, `Bearer ${jwt}`);
    assert.equal(mcp.upgrades.at(-1)!.headers.host, 'mcp.demo.example', 'preserve_host keeps the public host');
    allowed.socket.destroy();
  });

  it("sends the upstream's refusal to switch as an ordinary response", async () => {
    mail.behaviour.refuse = true;
    try {
      const result = await requestUpgrade(url, { headers: { host: 'mail.demo.example' } });
      assert.equal(result.upgraded, false);
      assert.equal(result.status, 403);
      assert.equal(result.upgraded === false && result.body, 'refused');
    } finally {
      mail.behaviour.refuse = false;
    }
  });

  it("answers as Kong does where no route matches or the route's protocol is not this listener's", async () => {
    const none = await requestUpgrade(url, { headers: { host: 'nothing.demo.example' } });
    assert.equal(none.status, 404);
    assert.match(none.upgraded === false ? none.body : '', /no Route matched/);
    const httpsOnly = await requestUpgrade(url, { headers: { host: 'secure.demo.example' } });
    assert.equal(httpsOnly.status, 426);
  });

  it('proxies another kind of upgrade as an ordinary request without it (Kong passes only WebSocket on)', async () => {
    const result = await requestUpgrade(url, { headers: { host: 'mail.demo.example' }, protocol: 'h2c' });
    assert.equal(result.upgraded, false);
    assert.equal(result.status, 200);
    assert.equal(result.upgraded === false && result.body, 'plain answer');
    const seen = mail.plain.at(-1)!;
    assert.equal(seen.headers.upgrade, undefined);
  });

  it("closes an idle tunnel after the service's read time-out, as nginx does", async () => {
    const result = await requestUpgrade(url, { headers: { host: 'mail.demo.example' } });
    assert.ok(result.upgraded);
    const started = Date.now();
    await closed(result.socket);
    // read_timeout is 400 ms in this configuration.
    assert.ok(Date.now() - started >= 350, `closed after ${Date.now() - started} ms`);
  });

  it('ends open WebSocket connections when the gateway stops', async () => {
    const config = loadKongConfig(`
_format_version: "3.0"
services:
  - name: mail
    url: ${mail.url}
    routes:
      - name: mail
        hosts: [mail.demo.example]
`);
    const own = await serveGateway(config, [{ port: 0 }], { log: () => {} });
    const result = await requestUpgrade(own.listeners[0]!.url, { headers: { host: 'mail.demo.example' } });
    assert.ok(result.upgraded);
    await own.close();
    await closed(result.socket);
  });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
