// The gateway must understand every configuration the Kong generator writes, and route it as Kong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kongConfigYaml } from '../../infra/kong/generate.ts';
import { buildModel, parseStackConfig } from '../../infra/model.ts';
import { loadKongConfig } from './config.ts';
import { Router } from './router.ts';

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
      assert.deepEqual(route('mcp.demo.example', '/.well-known/oauth-protected-resource')?.plugins, ['cors']);
      assert.deepEqual(route('api.demo.example', '/stocks/MSFT')?.plugins, ['cors', 'phantom-token']);
      assert.equal(route('api.demo.example', '/other'), undefined);
      assert.deepEqual(route('login.demo.example', '/oauth/v2/oauth-token')?.plugins, ['cors']);
      assert.deepEqual(
        route('login.demo.example', '/oauth/v2/oauth-registration', 'POST')?.plugins,
        server === 'curity' ? ['cors', 'request-transformer'] : ['cors'],
      );
      assert.ok(route('mail.demo.example', '/email'));
      assert.equal(Boolean(route('admin.demo.example', '/')), server === 'curity');
    });
  }
});
