// The gateway must understand every configuration the Kong generator writes, and route and transform it as Kong.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kongConfigYaml } from '../../infra/kong/generate.ts';
import { buildModel, parseStackConfig } from '../../infra/model.ts';
import { loadKongConfig } from './config.ts';
import { Router } from './router.ts';
import { serveGateway, type RunningGateway } from './serve.ts';
import { GATEWAY_CLIENT, makeJwt, request, startIntrospection, startUpstream } from '../../test/support/gateway-peers.ts';

const upstreams = {
  api: 'http://127.0.0.1:41001',
  mcp: 'http://127.0.0.1:41002',
  login: 'http://127.0.0.1:41003',
  mail: 'http://127.0.0.1:41004',
  admin: 'http://127.0.0.1:41005',
};

describe('the generated Kong configuration', () => {
  for (const server of ['builtin', 'curity'] as const) {
    it(`loads and routes as Kong would (${server} authorization server)`, () => {
      const model = buildModel(
        parseStackConfig({
          domain: 'demo.example',
          scope: 'stocks/read',
          users: [{ email: 'john.doe@demo.example', region: 'USA' }],
          ...(server === 'curity' ? { curityLicenseKey: 'licence' } : {}),
        }),
      );
      const router = new Router(
        loadKongConfig(kongConfigYaml(model, upstreams, { gatewayClientSecret: 'secret' }, { authorizationServer: server })),
      );
      const route = (host: string, path: string, method = 'GET') => {
        const m = router.match(method, host, path);
        return m && { name: m.compiled.route.name, plugins: m.compiled.plugins.map((p) => p.name).sort() };
      };
      assert.deepEqual(route('mcp.demo.example', '/mcp')?.plugins, ['cors', 'phantom-token']);
      assert.deepEqual(route('mcp.demo.example', '/mcp', 'OPTIONS')?.plugins, ['cors', 'request-transformer']);
      assert.deepEqual(route('mcp.demo.example', '/.well-known/oauth-protected-resource')?.plugins, ['cors', 'request-transformer']);
      assert.deepEqual(route('api.demo.example', '/stocks/MSFT')?.plugins, ['cors', 'phantom-token']);
      assert.deepEqual(route('api.demo.example', '/stocks/MSFT', 'OPTIONS')?.plugins, ['cors', 'request-transformer']);
      assert.equal(route('api.demo.example', '/other'), undefined);
      assert.deepEqual(route('login.demo.example', '/oauth/v2/oauth-token')?.plugins, ['cors']);
      assert.deepEqual(
        route('login.demo.example', '/oauth/v2/oauth-registration', 'POST')?.plugins,
        server === 'curity' ? ['cors', 'request-transformer'] : ['cors'],
      );
      assert.deepEqual(route('mail.demo.example', '/email')?.plugins, ['response-transformer']);
      assert.equal(route('evil.example', '/email'), undefined);
      assert.equal(Boolean(route('admin.demo.example', '/')), server === 'curity');
    });
  }
});

describe('the generated Kong configuration served by the gateway', () => {
  type Upstream = Awaited<ReturnType<typeof startUpstream>>;
  let api: Upstream;
  let mcp: Upstream;
  let mail: Upstream;
  let introspection: Awaited<ReturnType<typeof startIntrospection>>;
  let gateway: RunningGateway;
  /** The Host-routed listener (as Kong in Docker and Kubernetes), then one per host (as the local stack). */
  let hostRouted: string;
  const byHost: Record<string, string> = {};
  const model = buildModel(
    parseStackConfig({ domain: 'demo.example', scope: 'stocks/read', users: [{ email: 'john.doe@demo.example', region: 'USA' }] }),
  );

  before(async () => {
    assert.equal(model.clients.gateway.id, GATEWAY_CLIENT.id, 'the fake introspection endpoint knows the gateway client');
    [api, mcp, mail, introspection] = await Promise.all([
      startUpstream('api'),
      startUpstream('mcp'),
      startUpstream('mail'),
      startIntrospection(),
    ]);
    const yaml = kongConfigYaml(
      model,
      { api: api.url, mcp: mcp.url, login: introspection.url, mail: mail.url },
      { gatewayClientSecret: GATEWAY_CLIENT.secret },
    );
    gateway = await serveGateway(
      loadKongConfig(yaml),
      [{ port: 0 }, ...(['mcp', 'api', 'mail'] as const).map((h) => ({ port: 0, virtualHost: model.hosts[h] }))],
      { log: () => {} },
    );
    hostRouted = gateway.listeners[0]!.url;
    for (const l of gateway.listeners.slice(1)) byHost[l.virtualHost!] = l.url;
  });
  after(async () => {
    await gateway?.close();
    await Promise.all([api, mcp, mail, introspection].map((s) => s?.close()));
  });

  const via = (host: string, path: string, opts: Parameters<typeof request>[1] = {}) =>
    request(hostRouted, { ...opts, path, headers: { host, ...opts.headers } });

  it("drops a client's Authorization header from OPTIONS, which phantom-token lets pass", async () => {
    for (const [host, upstream, path] of [
      [model.hosts.mcp, mcp, '/'],
      [model.hosts.api, api, '/stocks'],
      [model.hosts.mcp, mcp, '/.well-known/oauth-protected-resource'],
    ] as const) {
      const res = await via(host, path, { method: 'OPTIONS', headers: { authorization: 'Bearer the-clients-own-token' } });
      assert.equal(res.status, 200, `${host}${path}`);
      const seen = upstream.seen.at(-1)!;
      assert.equal(seen.method, 'OPTIONS');
      assert.equal(seen.headers.authorization, undefined, `${host}${path} received the client's Authorization`);
    }
    // The metadata is public: a token sent with a GET does not reach the MCP server either.
    await via(model.hosts.mcp, '/.well-known/oauth-protected-resource', { headers: { authorization: 'Bearer the-clients-own-token' } });
    assert.equal(mcp.seen.at(-1)!.headers.authorization, undefined);
  });

  it('still swaps the opaque token for its JWT on the other methods', async () => {
    const jwt = await makeJwt({ scope: 'stocks/read' });
    introspection.tokens.set('opaque-token', { jwt });
    for (const method of ['GET', 'POST', 'DELETE']) {
      const res = await via(model.hosts.mcp, '/', { method, headers: { authorization: 'Bearer opaque-token' } });
      assert.equal(res.status, 200, method);
      assert.equal(mcp.seen.at(-1)!.headers.authorization, `Bearer ${jwt}`, method);
    }
    assert.equal((await via(model.hosts.api, '/stocks', { headers: { authorization: 'Bearer the-clients-own-token' } })).status, 401);
  });

  it("serves the mail inbox without maildev's Access-Control-Allow-Origin: *, so no web page can read it", async () => {
    for (const [url, host] of [
      [hostRouted, model.hosts.mail],
      [byHost[model.hosts.mail]!, undefined],
    ] as const) {
      const res = await request(url, { path: '/hop', headers: { origin: 'https://evil.example', ...(host ? { host } : {}) } });
      assert.equal(res.status, 200);
      assert.equal(res.text, 'hop', 'the inbox answered');
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    }
  });

  it('answers the mail inbox only under its own host: another Host (a rebound domain) is not routed', async () => {
    const before = mail.seen.length;
    assert.equal((await via('evil.example', '/email')).status, 404);
    const local = new URL(byHost[model.hosts.mail]!);
    for (const host of [`evil.example:${local.port}`, `${model.hosts.mcp}:${local.port}`, `localhost:${Number(local.port) + 1}`]) {
      const res = await request(local.href, { path: '/email', headers: { host } });
      assert.equal(res.status, 404, host);
      assert.equal(res.json().message, 'no Route matched with those values');
    }
    assert.equal(mail.seen.length, before, 'nothing reached the inbox');
    for (const host of [`localhost:${local.port}`, `127.0.0.1:${local.port}`, model.hosts.mail]) {
      assert.equal((await request(local.href, { path: '/email', headers: { host } })).status, 200, host);
    }
  });
});
