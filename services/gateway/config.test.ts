import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KongConfigError, loadKongConfig } from './config.ts';

const valid = `
_format_version: "3.0"
_transform: true
services:
  - name: stocks-api
    url: http://127.0.0.1:41234
    routes:
      - name: stocks-api-route
        hosts: [api.demo.example]
        paths: [/stocks]
        strip_path: false
        plugins:
          - name: phantom-token
            config:
              introspection_endpoint: http://127.0.0.1:41235/oauth/v2/oauth-introspect
              client_id: api-gateway-client
              client_secret: s3cret
              token_cache_seconds: 300
          - name: cors
            config:
              origins: [http://localhost:6274]
              credentials: true
`;

function problems(yamlText: string): string[] {
  try {
    loadKongConfig(yamlText);
  } catch (e) {
    assert.ok(e instanceof KongConfigError, `expected KongConfigError, got ${e}`);
    return e.problems;
  }
  assert.fail('configuration was accepted');
}

describe('loadKongConfig', () => {
  it('accepts response-transformer removing headers, and refuses the transformations it does not perform', () => {
    const withPlugin = (config: string) =>
      valid.replace('        plugins:\n', `        plugins:\n          - name: response-transformer\n            config:\n${config}`);
    const loaded = loadKongConfig(withPlugin('              remove:\n                headers: [Access-Control-Allow-Origin]\n'));
    assert.deepEqual(loaded.services[0]!.routes[0]!.plugins.find((p) => p.name === 'response-transformer')?.config, {
      remove: { headers: ['Access-Control-Allow-Origin'] },
    });
    assert.match(problems(withPlugin('              remove:\n                json: [secret]\n')).join('\n'), /unknown field "json"/);
    assert.match(problems(withPlugin('              add:\n                headers: ["x-a:b"]\n')).join('\n'), /unknown field "add"/);
  });

  it('accepts the generated shape and fills in Kong defaults', () => {
    const config = loadKongConfig(valid);
    const service = config.services[0]!;
    assert.equal(service.read_timeout, 60_000);
    assert.equal(service.retries, 5);
    const route = service.routes[0]!;
    assert.equal(route.strip_path, false);
    assert.equal(route.preserve_host, false);
    assert.deepEqual(route.protocols, ['http', 'https']);
    const cors = route.plugins.find((p) => p.name === 'cors')!;
    assert.equal(cors.enabled, true);
    assert.deepEqual(cors.config, {
      origins: ['http://localhost:6274'],
      methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'],
      credentials: true,
      private_network: false,
      preflight_continue: false,
    });
    const phantom = route.plugins.find((p) => p.name === 'phantom-token')!;
    assert.equal(phantom.name === 'phantom-token' && phantom.config.verify_ssl, true);
  });

  it('defaults strip_path to true as Kong does', () => {
    const config = loadKongConfig(valid.replace('        strip_path: false\n', ''));
    assert.equal(config.services[0]!.routes[0]!.strip_path, true);
  });

  it('refuses an unknown plugin, naming where it is', () => {
    const [p] = problems(valid.replace('- name: cors', '- name: rate-limiting'));
    assert.match(p!, /services\[0\]\(stocks-api\)\.routes\[0\]\(stocks-api-route\)\.plugins\[1\]\(rate-limiting\)/);
    assert.match(p!, /unknown plugin "rate-limiting"/);
  });

  it('refuses an unknown field in a plugin configuration', () => {
    const [p] = problems(valid.replace('token_cache_seconds: 300', 'token_cache_seconds: 300\n              scheme: DPoP'));
    assert.match(p!, /plugins\[0\]\(phantom-token\)\.config: unknown field "scheme"/);
  });

  it('refuses unknown fields on routes, services and the top level', () => {
    assert.match(
      problems(valid.replace('strip_path: false', 'strip_path: false\n        path_handling: v1'))[0]!,
      /routes\[0\]\(stocks-api-route\): unknown field "path_handling"/,
    );
    assert.match(problems(valid.replace('    url:', '    tags: [x]\n    url:'))[0]!, /services\[0\]\(stocks-api\): unknown field "tags"/);
    assert.match(problems(`${valid}consumers: []\n`)[0]!, /\(top level\): unknown field "consumers"/);
  });

  it('refuses route forms it does not implement: regex paths, hosts with ports', () => {
    assert.match(problems(valid.replace('paths: [/stocks]', 'paths: ["~/stocks/\\\\d+"]'))[0]!, /paths\[0\]: is a regex path/);
    assert.match(
      problems(valid.replace('hosts: [api.demo.example]', 'hosts: ["api.demo.example:8443"]'))[0]!,
      /hosts\[0\]: must be a host name/,
    );
  });

  it('refuses request-transformer templates, malformed pairs and another format version', () => {
    const rt = (body: string) =>
      valid.replace(
        '          - name: cors',
        `          - name: request-transformer\n            config:\n${body}\n          - name: cors`,
      );
    assert.match(problems(rt('              add:\n                headers: ["x-user:$(headers.host)"]'))[0]!, /template/);
    assert.match(problems(rt('              add:\n                headers: ["x-user"]'))[0]!, /must be "name:value"/);
    assert.match(problems(valid.replace('"3.0"', '"2.1"'))[0]!, /_format_version: must be "3.0"/);
  });

  it('refuses the same plugin twice on one route and duplicate names', () => {
    const twice = valid.replace('          - name: cors\n', '          - name: cors\n          - name: cors\n');
    assert.match(problems(twice).join('\n'), /names the same plugin twice/);
  });

  it('reports YAML syntax errors as configuration errors', () => {
    assert.match(problems('services: [')[0]!, /not valid YAML/);
  });
});
