import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { loadKongConfig } from './config.ts';
import { serveGateway, type RunningGateway } from './serve.ts';
import {
  closedPort,
  GATEWAY_CLIENT,
  makeJwt,
  request,
  startIntrospection,
  startUpstream,
  type RawResponse,
  type Seen,
} from '../../test/support/gateway-peers.ts';

type Upstream = Awaited<ReturnType<typeof startUpstream>>;
type Introspection = Awaited<ReturnType<typeof startIntrospection>>;

const ORIGIN = 'http://localhost:6274';
const silent = () => {};

function kongYaml(u: { api: string; mcp: string; login: string; introspection: string; down: number }, mcpCacheSeconds = 300): string {
  const phantom = (extra = '', cacheSeconds = 300) => `
          - name: phantom-token
            config:
              introspection_endpoint: ${u.introspection}
              client_id: ${GATEWAY_CLIENT.id}
              client_secret: ${GATEWAY_CLIENT.secret}
              token_cache_seconds: ${cacheSeconds}${extra}`;
  const cors = `
          - name: cors
            config:
              origins: [${ORIGIN}, "http://.*\\\\.apps\\\\.example"]
              credentials: true
              max_age: 600
              exposed_headers: [WWW-Authenticate]`;
  return `
_format_version: "3.0"
_transform: true
services:
  - name: stocks-api
    url: ${u.api}
    read_timeout: 500
    routes:
      - name: stocks-api-route
        hosts: [api.demo.example]
        paths: [/stocks]
        strip_path: false
        plugins:${phantom()}${cors}
      - name: stocks-scoped
        hosts: [api.demo.example]
        paths: [/scoped]
        strip_path: false
        plugins:${phantom('\n              scope: stocks/read stocks/write')}
      - name: stocks-slow
        hosts: [api.demo.example]
        paths: [/slow, /sse, /download, /echo-stream, /gzip, /hop, /plain]
        strip_path: false
  - name: mcp-server
    url: ${u.mcp}
    routes:
      - name: mcp-route
        hosts: [mcp.demo.example]
        paths: [/]
        preserve_host: true
        strip_path: false
        plugins:${phantom('', mcpCacheSeconds)}${cors}
      - name: mcp-metadata
        hosts: [mcp.demo.example]
        paths: [/.well-known/oauth-protected-resource]
        preserve_host: true
        strip_path: false
        plugins:${cors}
  - name: authorization-server
    url: ${u.login}/base
    routes:
      - name: login-route
        hosts: [login.demo.example]
        paths: [/]
        strip_path: false
      - name: stripped
        hosts: [login.demo.example]
        paths: [/strip]
      - name: registration
        hosts: [login.demo.example]
        paths: [/oauth/v2/oauth-registration]
        methods: [POST]
        strip_path: false
        plugins:
          - name: request-transformer
            config:
              remove:
                headers: [x-remove-me]
                body: [software_statement]
                querystring: [debug]
              rename:
                headers: ["x-old:x-new"]
                body: ["client_uri:client_home"]
              replace:
                headers: ["x-replace:replaced"]
                body: ["token_endpoint_auth_method:client_secret_basic"]
              add:
                headers: ["x-added:yes", "x-present:not-used"]
                body: ["scope:stocks/read"]
                querystring: ["via:gateway"]
              append:
                headers: ["x-multi:second"]
                body: ["grant_types:authorization_code"]
                querystring: ["tag:two"]
  - name: down
    url: http://127.0.0.1:${u.down}
    routes:
      - name: down-route
        hosts: [down.demo.example]
        paths: [/]
      - name: https-only
        hosts: [secure.demo.example]
        protocols: [https]
`;
}

describe('development gateway', () => {
  let api: Upstream;
  let mcp: Upstream;
  let login: Upstream;
  let introspection: Introspection;
  let gateway: RunningGateway;
  let hostRouted: string;
  const byHost: Record<string, string> = {};
  const logged: string[] = [];
  const issued: string[] = [];

  before(async () => {
    [api, mcp, login, introspection] = await Promise.all([
      startUpstream('api'),
      startUpstream('mcp'),
      startUpstream('login'),
      startIntrospection(),
    ]);
    const config = loadKongConfig(
      kongYaml({ api: api.url, mcp: mcp.url, login: login.url, introspection: introspection.endpoint, down: await closedPort() }, 1),
    );
    gateway = await serveGateway(
      config,
      [{ port: 0 }, { port: 0, virtualHost: 'mcp.demo.example' }, { port: 0, virtualHost: 'api.demo.example' }],
      { log: (event) => logged.push(JSON.stringify(event)), maxBodyBytes: 64 * 1024 * 1024, introspectionTimeoutMs: 300 },
    );
    hostRouted = gateway.listeners[0]!.url;
    for (const l of gateway.listeners.slice(1)) byHost[l.virtualHost!] = l.url;
  });

  after(async () => {
    await gateway?.close();
    await Promise.all([api, mcp, login, introspection].map((s) => s?.close()));
  });

  /** A request to the Host-routed listener, naming the public host in the Host header. */
  const via = (host: string, path: string, opts: Parameters<typeof request>[1] = {}) =>
    request(hostRouted, { ...opts, path, headers: { host, ...opts.headers } });
  const lastSeen = (u: Upstream): Seen => u.seen.at(-1)!;
  async function issue(
    claims: Record<string, unknown> = { scope: 'stocks/read' },
    maxAge?: number,
  ): Promise<{ opaque: string; jwt: string }> {
    const opaque = `_0XBPWQQ_${createHash('sha256').update(Math.random().toString()).digest('hex')}`;
    const jwt = await makeJwt(claims);
    introspection.tokens.set(opaque, { jwt, maxAge });
    issued.push(opaque, jwt);
    return { opaque, jwt };
  }

  describe('routing', () => {
    it("answers 404 with Kong's message when no route matches", async () => {
      for (const [host, path] of [
        ['unknown.example', '/'],
        ['api.demo.example', '/elsewhere'],
      ]) {
        const res = await via(host!, path!);
        assert.equal(res.status, 404, `${host}${path}`);
        assert.equal(res.json().message, 'no Route matched with those values');
        assert.match(String(res.headers['content-type']), /application\/json/);
      }
    });

    it('routes by the longest prefix: the metadata route skips phantom-token, the root route requires it', async () => {
      const meta = await via('mcp.demo.example', '/.well-known/oauth-protected-resource');
      assert.equal(meta.status, 200);
      assert.equal(lastSeen(mcp).path, '/.well-known/oauth-protected-resource');
      const root = await via('mcp.demo.example', '/mcp');
      assert.equal(root.status, 401);
    });

    it('routes a virtual-host listener as its host and forwards the real Host with preserve_host', async () => {
      const { opaque } = await issue();
      const url = new URL(byHost['mcp.demo.example']!);
      const res = await request(url.href, { path: '/mcp', headers: { authorization: `Bearer ${opaque}` } });
      assert.equal(res.status, 200);
      assert.equal(res.json().service, 'mcp');
      assert.equal(lastSeen(mcp).headers.host, url.host);
    });

    it('sends the service host without preserve_host, keeps the path without strip_path', async () => {
      await via('login.demo.example', '/authn/anonymous?x=1');
      const seen = lastSeen(login);
      assert.equal(seen.headers.host, new URL(login.url).host);
      assert.equal(seen.path, '/base/authn/anonymous');
      assert.equal(seen.search, '?x=1');
    });

    it('strips the matched prefix by default and joins the rest to the service path', async () => {
      await via('login.demo.example', '/strip/rest/of/path?q=2');
      assert.equal(lastSeen(login).path, '/base/rest/of/path');
      assert.equal(lastSeen(login).search, '?q=2');
    });

    it('answers 426 on a plain-HTTP listener for a route limited to https, as Kong does', async () => {
      const res = await via('secure.demo.example', '/');
      assert.equal(res.status, 426);
      assert.equal(res.json().message, 'Please use HTTPS protocol');
      assert.equal(res.headers.upgrade, 'TLS/1.2, HTTP/1.1');
    });

    it('matches methods when a route lists them', async () => {
      const get = await via('login.demo.example', '/oauth/v2/oauth-registration');
      assert.equal(get.status, 200);
      assert.equal(lastSeen(login).headers['x-added'], undefined, 'GET went to the route without request-transformer');
    });
  });

  describe('phantom-token', () => {
    it("refuses a request without a token: 401, WWW-Authenticate: Bearer and the plugin's JSON", async () => {
      const before = api.seen.length;
      for (const authorization of [undefined, 'Basic abc', 'Bearer ', 'Bearer']) {
        const res = await via('api.demo.example', '/stocks', { headers: authorization ? { authorization } : {} });
        assert.equal(res.status, 401);
        assert.equal(res.headers['www-authenticate'], 'Bearer');
        assert.deepEqual(res.json(), { code: 'unauthorized', message: 'Missing, invalid or expired access token' });
      }
      assert.equal(api.seen.length, before, 'nothing reached the API');
    });

    it('refuses an inactive token with 401 and writes no body for HEAD', async () => {
      const res = await via('api.demo.example', '/stocks', { headers: { authorization: 'Bearer not-a-token' } });
      assert.equal(res.status, 401);
      const head = await via('api.demo.example', '/stocks', { method: 'HEAD', headers: { authorization: 'Bearer not-a-token' } });
      assert.equal(head.status, 401);
      assert.equal(head.body.length, 0);
    });

    it('introspects with Basic credentials and Accept: application/jwt, and forwards the JWT', async () => {
      const { opaque, jwt } = await issue();
      const res = await via('api.demo.example', '/stocks/MSFT', { headers: { authorization: `bearer ${opaque}` } });
      assert.equal(res.status, 200);
      assert.equal(lastSeen(api).headers.authorization, `Bearer ${jwt}`);
      assert.equal(lastSeen(api).path, '/stocks/MSFT');
    });

    it('caches a success: one introspection for repeated and concurrent requests', async () => {
      const { opaque } = await issue();
      const headers = { authorization: `Bearer ${opaque}` };
      const results = await Promise.all(Array.from({ length: 20 }, () => via('api.demo.example', '/stocks', { headers })));
      assert.ok(results.every((r) => r.status === 200));
      await via('api.demo.example', '/stocks', { headers });
      assert.equal(introspection.callsFor(opaque), 1);
      assert.ok(gateway.tokenCache.size >= 1);
    });

    it('keeps an entry no longer than max-age or token_cache_seconds, whichever is shorter', async () => {
      const short = await issue(undefined, 1); // max-age 1 s, plugin allows 300 s (API route)
      const capped = await issue(undefined, 300); // max-age 300 s, plugin allows 1 s (MCP route)
      const call = () =>
        Promise.all([
          via('api.demo.example', '/stocks', { headers: { authorization: `Bearer ${short.opaque}` } }),
          via('mcp.demo.example', '/mcp', { headers: { authorization: `Bearer ${capped.opaque}` } }),
        ]);
      await call();
      await call();
      assert.equal(introspection.callsFor(short.opaque), 1);
      assert.equal(introspection.callsFor(capped.opaque), 1);
      await new Promise((r) => setTimeout(r, 1100));
      const [a, b] = await call();
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      assert.equal(introspection.callsFor(short.opaque), 2);
      assert.equal(introspection.callsFor(capped.opaque), 2);
    });

    it('never caches failures: a token that becomes active is accepted at once', async () => {
      const opaque = 'later-active';
      const headers = { authorization: `Bearer ${opaque}` };
      assert.equal((await via('api.demo.example', '/stocks', { headers })).status, 401);
      assert.equal((await via('api.demo.example', '/stocks', { headers })).status, 401);
      assert.equal(introspection.callsFor(opaque), 2);
      introspection.tokens.set(opaque, { jwt: await makeJwt({ scope: 'stocks/read' }) });
      assert.equal((await via('api.demo.example', '/stocks', { headers })).status, 200);
    });

    it('does not grow the cache under hundreds of distinct bogus tokens', async () => {
      const size = gateway.tokenCache.size;
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            via('api.demo.example', '/stocks', { headers: { authorization: `Bearer bogus-${batch}-${i}` } }),
          ),
        );
      }
      assert.equal(gateway.tokenCache.size, size);
      assert.equal(gateway.tokenCache.pending, 0);
    });

    it('answers 500 server_error without forwarding when introspection times out or fails', async () => {
      const { opaque } = await issue();
      const before = api.seen.length;
      for (const behaviour of [
        { delayMs: 1000, status: undefined },
        { delayMs: 0, status: 500 },
      ]) {
        Object.assign(introspection.behaviour, behaviour);
        try {
          const started = Date.now();
          const res = await via('api.demo.example', '/stocks', { headers: { authorization: `Bearer ${opaque}` } });
          assert.equal(res.status, 500);
          assert.deepEqual(res.json(), { code: 'server_error', message: 'Problem encountered authorizing the HTTP request' });
          assert.ok(Date.now() - started < 900, 'the introspection time-out applies');
        } finally {
          Object.assign(introspection.behaviour, { delayMs: 0, status: undefined });
        }
      }
      assert.equal(api.seen.length, before, 'nothing reached the API');
      // …and the failure was not cached.
      assert.equal((await via('api.demo.example', '/stocks', { headers: { authorization: `Bearer ${opaque}` } })).status, 200);
    });

    it('answers 401 when the introspection server refuses the gateway client (any non-200 but 500)', async () => {
      Object.assign(introspection.behaviour, { status: 503 });
      try {
        const { opaque } = await issue();
        assert.equal((await via('api.demo.example', '/stocks', { headers: { authorization: `Bearer ${opaque}` } })).status, 401);
      } finally {
        introspection.behaviour.status = undefined;
      }
    });

    it('checks a configured scope on every request, cached or not: 403 forbidden', async () => {
      const partial = await issue({ scope: 'stocks/read' });
      for (let i = 0; i < 2; i++) {
        const res = await via('api.demo.example', '/scoped', { headers: { authorization: `Bearer ${partial.opaque}` } });
        assert.equal(res.status, 403);
        assert.deepEqual(res.json(), { code: 'forbidden', message: 'The token does not contain the required scope' });
      }
      const full = await issue({ scope: 'stocks/write stocks/read' });
      assert.equal((await via('api.demo.example', '/scoped', { headers: { authorization: `Bearer ${full.opaque}` } })).status, 200);
    });

    it('lets OPTIONS through untouched', async () => {
      const res = await via('api.demo.example', '/stocks', { method: 'OPTIONS', headers: { authorization: 'Bearer opaque-kept' } });
      assert.equal(res.status, 200);
      assert.equal(lastSeen(api).method, 'OPTIONS');
      assert.equal(lastSeen(api).headers.authorization, 'Bearer opaque-kept');
    });
  });

  describe('cors', () => {
    const preflight = (origin: string) =>
      via('api.demo.example', '/stocks', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,mcp-protocol-version' },
      });

    it('answers a preflight from an allowed origin itself, before phantom-token', async () => {
      const before = api.seen.length;
      const res = await preflight(ORIGIN);
      assert.equal(res.status, 200);
      assert.equal(res.headers['access-control-allow-origin'], ORIGIN);
      assert.equal(res.headers['access-control-allow-credentials'], 'true');
      assert.equal(res.headers['access-control-allow-methods'], 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT');
      assert.equal(res.headers['access-control-allow-headers'], 'authorization,mcp-protocol-version');
      assert.equal(res.headers['access-control-max-age'], '600');
      assert.equal(res.headers.vary, 'Origin');
      assert.equal(api.seen.length, before, 'the preflight did not reach the API');
    });

    it('matches origins given as regular expressions', async () => {
      assert.equal((await preflight('http://tool.apps.example')).headers['access-control-allow-origin'], 'http://tool.apps.example');
      assert.equal((await preflight('http://tool.apps.example.evil')).headers['access-control-allow-origin'], undefined);
    });

    it('gives no Access-Control-Allow-Origin to another origin, even when the upstream sends one', async () => {
      const res = await preflight('http://evil.example');
      assert.equal(res.status, 200);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    });

    it('sets the headers on actual responses, refusals included', async () => {
      const refused = await via('api.demo.example', '/stocks', { headers: { origin: ORIGIN } });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers['access-control-allow-origin'], ORIGIN);
      assert.equal(refused.headers['access-control-expose-headers'], 'WWW-Authenticate');

      const { opaque } = await issue();
      const ok = await via('mcp.demo.example', '/mcp', { headers: { origin: 'http://evil.example', authorization: `Bearer ${opaque}` } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['access-control-allow-origin'], undefined);
      assert.equal(ok.headers.vary, 'Origin');
    });
  });

  describe('request-transformer', () => {
    it('applies remove, rename, replace, add and append to headers, JSON body and query string', async () => {
      const res = await via('login.demo.example', '/oauth/v2/oauth-registration?debug=1&tag=one', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-remove-me': 'gone',
          'x-old': 'moved',
          'x-replace': 'original',
          'x-present': 'kept',
          'x-multi': 'first',
        },
        body: JSON.stringify({
          software_statement: 'drop',
          client_uri: 'https://client.example',
          token_endpoint_auth_method: 'none',
          grant_types: 'refresh_token',
          client_name: 'x',
        }),
      });
      assert.equal(res.status, 200);
      const seen = lastSeen(login);
      assert.equal(seen.headers['x-remove-me'], undefined);
      assert.equal(seen.headers['x-old'], undefined);
      assert.equal(seen.headers['x-new'], 'moved');
      assert.equal(seen.headers['x-replace'], 'replaced');
      assert.equal(seen.headers['x-added'], 'yes');
      assert.equal(seen.headers['x-present'], 'kept');
      assert.equal(seen.headers['x-multi'], 'first, second');
      assert.equal(seen.search, '?tag=one&tag=two&via=gateway');
      assert.deepEqual(JSON.parse(seen.body), {
        client_home: 'https://client.example',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['refresh_token', 'authorization_code'],
        client_name: 'x',
        scope: 'stocks/read',
      });
      assert.equal(Number(seen.headers['content-length']), Buffer.byteLength(seen.body));
    });

    it('rewrites form bodies and leaves other content types alone', async () => {
      await via('login.demo.example', '/oauth/v2/oauth-registration', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'software_statement=x&client_uri=https%3A%2F%2Fc.example',
      });
      assert.deepEqual(Object.fromEntries(new URLSearchParams(lastSeen(login).body)), {
        client_home: 'https://c.example',
        grant_types: 'authorization_code',
        scope: 'stocks/read',
      });
      await via('login.demo.example', '/oauth/v2/oauth-registration', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'as is',
      });
      assert.equal(lastSeen(login).body, 'as is');
    });

    it('rewrites multipart bodies', async () => {
      const form = new FormData();
      form.set('software_statement', 'drop');
      form.set('client_name', 'multi');
      const encoded = new Response(form);
      await via('login.demo.example', '/oauth/v2/oauth-registration', {
        method: 'POST',
        headers: { 'content-type': encoded.headers.get('content-type')! },
        body: Buffer.from(await encoded.arrayBuffer()),
      });
      const seen = lastSeen(login);
      const parsed = await new Response(seen.body, { headers: { 'content-type': seen.headers['content-type']! } }).formData();
      assert.equal(parsed.get('software_statement'), null);
      assert.equal(parsed.get('client_name'), 'multi');
      assert.equal(parsed.get('scope'), 'stocks/read');
    });
  });

  describe('proxying', () => {
    it('strips hop-by-hop headers both ways and keeps repeated Set-Cookie', async () => {
      await via('login.demo.example', '/x', {
        headers: {
          connection: 'keep-alive, x-client-hop',
          'x-client-hop': 'secret',
          'keep-alive': 'timeout=5',
          te: 'trailers',
          'proxy-authorization': 'Basic abc',
          'proxy-connection': 'keep-alive',
          upgrade: 'h2c',
          'x-end-to-end': 'kept',
        },
      });
      const h = lastSeen(login).headers;
      for (const name of ['x-client-hop', 'keep-alive', 'te', 'proxy-authorization', 'proxy-connection', 'upgrade']) {
        assert.equal(h[name], undefined, name);
      }
      assert.equal(h['x-end-to-end'], 'kept');

      const res = await via('api.demo.example', '/hop');
      assert.equal(res.text, 'hop');
      assert.equal(res.headers['x-up-hop'], undefined);
      assert.equal(res.headers['proxy-authenticate'], undefined);
      assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    });

    it('sets X-Forwarded-* as Kong does, appending to a client X-Forwarded-For and ignoring the rest', async () => {
      await via('mcp.demo.example', '/.well-known/oauth-protected-resource?x=1', {
        headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
      });
      const h = lastSeen(mcp).headers;
      assert.equal(h['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
      assert.equal(h['x-forwarded-proto'], 'http');
      assert.equal(h['x-forwarded-host'], 'mcp.demo.example');
      assert.equal(h['x-forwarded-port'], new URL(hostRouted).port);
      assert.equal(h['x-forwarded-path'], '/.well-known/oauth-protected-resource');
      assert.equal(h['x-forwarded-prefix'], '/.well-known/oauth-protected-resource');
    });

    it('streams a large body both ways: the echo of the first chunk arrives before the last is sent', async () => {
      const url = new URL(hostRouted);
      const chunk = Buffer.alloc(256 * 1024, 7);
      const chunks = 64; // 16 MiB
      const received = await new Promise<{ bytes: number; sha: string }>((resolve, reject) => {
        const req = http.request({
          hostname: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/echo-stream',
          headers: { host: 'api.demo.example' },
        });
        req.on('error', reject);
        const hash = createHash('sha256');
        let bytes = 0;
        let sent = 1;
        req.write(chunk);
        req.on('response', (res) => {
          res.on('data', (d: Buffer) => {
            hash.update(d);
            bytes += d.length;
            // Send the next chunk only once the previous one came back through the gateway.
            while (sent < chunks && bytes >= sent * chunk.length - chunk.length / 2) {
              sent++;
              if (sent === chunks) req.end(chunk);
              else req.write(chunk);
            }
          });
          res.on('end', () => resolve({ bytes, sha: hash.digest('hex') }));
          res.on('error', reject);
        });
      });
      const expected = createHash('sha256');
      for (let i = 0; i < chunks; i++) expected.update(chunk);
      assert.equal(received.bytes, chunk.length * chunks);
      assert.equal(received.sha, expected.digest('hex'));
    });

    it('streams a large download', async () => {
      const bytes = 48 * 1024 * 1024;
      const res = await via('api.demo.example', `/download?bytes=${bytes}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.length, bytes);
    });

    it('stops the upstream transfer when the client goes away', async () => {
      const url = new URL(hostRouted);
      const before = api.downloads.cancelled;
      await new Promise<void>((resolve, reject) => {
        const req = http.get(
          { hostname: url.hostname, port: url.port, path: '/download?bytes=1073741824', headers: { host: 'api.demo.example' } },
          (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          },
        );
        req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
      });
      // Well within the service's read_timeout (500 ms), which would also end the transfer.
      for (let i = 0; i < 15 && api.downloads.cancelled === before; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(api.downloads.cancelled, before + 1);
    });

    it('streams server-sent events as they are produced', async () => {
      const url = new URL(hostRouted);
      const first = await new Promise<{ text: string; rest: Promise<string> }>((resolve, reject) => {
        const req = http.get({ hostname: url.hostname, port: url.port, path: '/sse', headers: { host: 'api.demo.example' } }, (res) => {
          assert.equal(res.headers['content-type'], 'text/event-stream');
          let all = '';
          const rest = new Promise<string>((done) => res.on('end', () => done(all)));
          res.setEncoding('utf8');
          res.once('data', (d: string) => {
            all += d;
            res.on('data', (more: string) => (all += more));
            resolve({ text: d, rest });
          });
        });
        req.on('error', reject);
      });
      assert.equal(first.text, 'data: first\n\n');
      api.releaseSse();
      assert.equal(await first.rest, 'data: first\n\ndata: second\n\n');
    });

    it('passes compressed responses through unchanged', async () => {
      const res = await via('api.demo.example', '/gzip', { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(res.headers['content-encoding'], 'gzip');
      assert.equal(gunzipSync(res.body).toString(), 'compressed hello');
    });

    it('answers 504 when the upstream is slower than read_timeout', async () => {
      const started = Date.now();
      const res = await via('api.demo.example', '/slow?ms=3000');
      assert.equal(res.status, 504);
      assert.equal(res.json().message, 'The upstream server is timing out');
      assert.ok(Date.now() - started < 2500);
    });

    it('answers 502 when the upstream refuses the connection', async () => {
      const res = await via('down.demo.example', '/');
      assert.equal(res.status, 502);
      assert.equal(res.json().message, 'An invalid response was received from the upstream server');
    });
  });

  describe('logs', () => {
    it('record failures without any token', () => {
      assert.ok(
        logged.some((l) => l.includes('introspection_failed')),
        'introspection failures were logged',
      );
      assert.ok(
        logged.some((l) => l.includes('upstream_failed')),
        'upstream failures were logged',
      );
      for (const token of issued) assert.ok(!logged.some((l) => l.includes(token)), 'a token appears in the logs');
      assert.ok(!logged.some((l) => /bearer|eyJ/i.test(l)));
    });
  });

  describe('body cap', () => {
    let small: RunningGateway;
    before(async () => {
      const config = loadKongConfig(
        kongYaml({ api: api.url, mcp: mcp.url, login: login.url, introspection: introspection.endpoint, down: 1 }),
      );
      small = await serveGateway(config, [{ port: 0, virtualHost: 'api.demo.example' }], { log: silent, maxBodyBytes: 1024 * 1024 });
    });
    after(() => small?.close());

    it('refuses a declared Content-Length over the cap with 413 before contacting the upstream', async () => {
      const before = api.seen.length;
      const res = await request(small.listeners[0]!.url, { method: 'POST', path: '/plain', body: Buffer.alloc(2 * 1024 * 1024) });
      assert.equal(res.status, 413);
      assert.equal(res.json().message, 'Payload too large');
      assert.equal(api.seen.length, before);
    });

    it('refuses a chunked body that grows over the cap with 413', async () => {
      const url = new URL(small.listeners[0]!.url);
      const res = await new Promise<RawResponse>((resolve, reject) => {
        const req = http.request(
          { hostname: url.hostname, port: url.port, method: 'POST', path: '/plain', headers: { 'transfer-encoding': 'chunked' } },
          (r) => {
            const chunks: Buffer[] = [];
            r.on('data', (c: Buffer) => chunks.push(c));
            r.on('end', () => {
              const body = Buffer.concat(chunks);
              resolve({
                status: r.statusCode!,
                headers: r.headers,
                rawHeaders: r.rawHeaders,
                body,
                text: body.toString(),
                json: () => JSON.parse(body.toString()),
              });
            });
          },
        );
        req.on('error', reject);
        const piece = Buffer.alloc(64 * 1024);
        const write = (n: number) => {
          if (n === 0) return req.end();
          if (req.destroyed) return;
          req.write(piece, () => write(n - 1));
        };
        write(40); // 2.5 MiB
      });
      assert.equal(res.status, 413);
    });

    it('accepts a body under the cap', async () => {
      const res = await request(small.listeners[0]!.url, { method: 'POST', path: '/plain', body: Buffer.alloc(512 * 1024, 1) });
      assert.equal(res.status, 200);
      assert.equal(res.json().bodyBytes, 512 * 1024);
    });
  });
});
