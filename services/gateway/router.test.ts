import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadKongConfig } from './config.ts';
import { normalizeHost, normalizePath, Router, upstreamPath } from './router.ts';

describe('upstreamPath (Kong path_handling v0)', () => {
  const cases: [base: string, path: string, prefix: string, strip: boolean, expected: string][] = [
    ['/', '/stocks/MSFT', '/stocks', false, '/stocks/MSFT'],
    ['/', '/stocks/MSFT', '/stocks', true, '/MSFT'],
    ['/', '/stocks', '/stocks', true, '/'],
    ['/base', '/stocks/MSFT', '/stocks', true, '/base/MSFT'],
    ['/base', '/stocks', '/stocks', true, '/base'],
    ['/base', '/stocks/', '/stocks', true, '/base/'],
    ['/base', '/stocksX', '/stocks', true, '/base/X'],
    ['/base/', '/stocks/MSFT', '/stocks', true, '/base/MSFT'],
    ['/base/', '/stocks', '/stocks', true, '/base'],
    ['/base', '/stocks/MSFT', '/stocks', false, '/base/stocks/MSFT'],
    ['/base', '/', '/', false, '/base'],
    ['/base/', '/x', '/', false, '/base/x'],
  ];
  for (const [base, path, prefix, strip, expected] of cases) {
    it(`${base} + ${path} (prefix ${prefix}, strip_path ${strip}) → ${expected}`, () => {
      assert.equal(upstreamPath(base, path, prefix, strip), expected);
    });
  }
});

describe('Router', () => {
  const router = new Router(
    loadKongConfig(`
_format_version: "3.0"
services:
  - name: mcp
    url: http://127.0.0.1:1
    routes:
      - { name: mcp-root, hosts: [mcp.demo.example], paths: [/] }
      - { name: mcp-metadata, hosts: [mcp.demo.example], paths: [/.well-known/oauth-protected-resource] }
      - { name: wild, hosts: ["*.wild.example"], paths: [/] }
      - { name: prefix-wild, hosts: ["tenant.*"], paths: [/] }
      - { name: posts, hosts: [mcp.demo.example], paths: [/], methods: [POST] }
      - { name: any-host, paths: [/anything] }
`),
  );
  const name = (method: string, host: string, path: string) => router.match(method, host, path)?.compiled.route.name;

  it('prefers the longest matching prefix', () => {
    assert.equal(name('GET', 'mcp.demo.example', '/.well-known/oauth-protected-resource'), 'mcp-metadata');
    assert.equal(name('GET', 'mcp.demo.example', '/.well-known/oauth-protected-resource/mcp'), 'mcp-metadata');
    assert.equal(name('GET', 'mcp.demo.example', '/mcp'), 'mcp-root');
  });

  it('matches hosts without port and case-insensitively, and wildcards at either end', () => {
    assert.equal(name('GET', 'MCP.demo.example:8443', '/'), 'mcp-root');
    assert.equal(name('GET', 'a.wild.example', '/'), 'wild');
    assert.equal(name('GET', 'wild.example', '/'), undefined);
    assert.equal(name('GET', 'tenant.example.org', '/x'), 'prefix-wild');
    assert.equal(name('GET', 'other.example', '/'), undefined);
  });

  it('ranks a route with more matching fields (methods) first', () => {
    assert.equal(name('POST', 'mcp.demo.example', '/mcp'), 'posts');
    assert.equal(name('GET', 'mcp.demo.example', '/mcp'), 'mcp-root');
  });

  it('lets a route without hosts match any host', () => {
    assert.equal(name('GET', 'elsewhere.example', '/anything/else'), 'any-host');
  });

  it('routes on the normalized path: escaped unreserved characters decoded', () => {
    assert.equal(normalizePath('/.well-known/oauth-protected-resourc%65'), '/.well-known/oauth-protected-resource');
    assert.equal(normalizePath('/a%2fb%7E'), '/a%2Fb~');
    assert.equal(name('GET', 'mcp.demo.example', normalizePath('/%2Ewell-known/oauth-protected-resource')), 'mcp-metadata');
  });

  it("applies service plugins to every route, a route's own plugin of the same name taking precedence", () => {
    const r = new Router(
      loadKongConfig(`
_format_version: "3.0"
services:
  - name: s
    url: http://127.0.0.1:1
    plugins:
      - { name: cors, config: { origins: [http://a.example] } }
    routes:
      - { name: inherits, paths: [/a] }
      - name: overrides
        paths: [/b]
        plugins: [{ name: cors, config: { origins: [http://b.example] } }]
      - name: disabled-own
        paths: [/c]
        plugins: [{ name: cors, enabled: false, config: { origins: [http://c.example] } }]
`),
    );
    const origins = (path: string) => r.match('GET', 'x', path)!.compiled.plugins.map((p) => p.name === 'cors' && p.config.origins);
    assert.deepEqual(origins('/a'), [['http://a.example']]);
    assert.deepEqual(origins('/b'), [['http://b.example']]);
    assert.deepEqual(origins('/c'), [['http://a.example']]);
  });

  it('normalizes Host headers as nginx does for $host', () => {
    assert.equal(normalizeHost('Example.COM.:80'), 'example.com');
    assert.equal(normalizeHost('[::1]:8000'), '[::1]');
  });
});
