import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@mcp-secured-api/contracts';
import { createStocksApi } from './app.ts';
import { listen } from '../../test/support/listen.ts';
import type { Listening } from '../../test/support/listen.ts';
import { negativeTokenCorpus } from '../../test/support/negative-tokens.ts';
import { startTestIssuer } from '../../test/support/test-issuer.ts';
import type { TestIssuer } from '../../test/support/test-issuer.ts';

const API = 'https://api.demo.example';
const MCP = 'https://mcp.demo.example/';
const john = { email: 'john.doe@demo.example', region: 'USA' };
const jane = { email: 'jane.test@demo.example', region: 'Europe' };

describe('stocks API', () => {
  let issuer: TestIssuer;
  let api: Listening;
  const lines: string[] = [];

  before(async () => {
    issuer = await startTestIssuer({ mcpResource: MCP, apiAudience: API });
    const app = createStocksApi({
      jwt: { issuer: issuer.issuer, audience: API, jwks: issuer.jwksUri, requiredScope: 'stocks/read' },
      log: createLogger({ write: (line) => lines.push(line) }),
    });
    api = await listen(app);
  });
  after(async () => {
    await api?.close();
    await issuer?.close();
  });

  const get = async (path: string, token?: string) => {
    const res = await fetch(`${api.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  const tokenFor = (user: typeof john, claims: Record<string, unknown> = {}) =>
    issuer.issue(user, { audience: API, claims: { act: { sub: 'mcp-server-client' }, ...claims } });

  it('answers /health without a token', async () => {
    assert.deepEqual(await get('/health'), { status: 200, headers: (await fetch(`${api.url}/health`)).headers, body: { status: 'ok' } });
  });

  it("lists the stocks of the caller's region only", async () => {
    const usa = await get('/stocks', await tokenFor(john));
    assert.equal(usa.status, 200);
    assert.deepEqual(
      usa.body.map((s: { id: string }) => s.id),
      ['COM1', 'COM4'],
    );
    const europe = await get('/stocks', await tokenFor(jane));
    assert.deepEqual(europe.body, [
      { id: 'COM2', name: 'Company 2', region: 'Europe', price: 250.62 },
      { id: 'COM3', name: 'Company 3', region: 'Europe', price: 21.07 },
    ]);
  });

  it('returns one stock of the region, and the same 404 for another region or an unknown id', async () => {
    const token = await tokenFor(john);
    assert.deepEqual((await get('/stocks/COM1', token)).body, { id: 'COM1', name: 'Company 1', region: 'USA', price: 450.22 });
    const otherRegion = await get('/stocks/COM2', token);
    const unknown = await get('/stocks/COM9', token);
    assert.equal(otherRegion.status, 404);
    assert.equal(unknown.status, 404);
    assert.deepEqual(otherRegion.body, unknown.body);
  });

  it('refuses a token without a region claim', async () => {
    const res = await get('/stocks', await tokenFor(john, { region: undefined }));
    assert.equal(res.status, 403);
    assert.equal(res.body.error, 'access_denied');
  });

  it('logs one line per request with subject, client type and actor, never the token', async () => {
    lines.length = 0;
    const token = await tokenFor(jane);
    await get('/stocks', token);
    await get('/stocks');
    assert.equal(lines.length, 2);
    const entry = JSON.parse(lines[0]!);
    assert.deepEqual(
      { sub: entry.sub, client_type: entry.client_type, actor: entry.actor, status: entry.status, path: entry.path },
      { sub: jane.email, client_type: 'mcp', actor: 'mcp-server-client', status: 200, path: '/stocks' },
    );
    assert.equal(JSON.parse(lines[1]!).status, 401);
    assert.ok(!lines.join('\n').includes(token.split('.')[2]!));
  });

  it('refuses the negative corpus, including an MCP token passed through', async () => {
    const corpus = await negativeTokenCorpus(issuer, { audience: API, otherAudience: MCP });
    for (const testCase of corpus) {
      const res = await fetch(`${api.url}/stocks`, { headers: { authorization: testCase.authorization } });
      assert.equal(res.status, testCase.status, testCase.name);
      assert.match(res.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer error="${testCase.error}"`), testCase.name);
      await res.body?.cancel();
    }
  });

  it('refuses a token issued for the MCP server (no passthrough)', async () => {
    const res = await get('/stocks', await issuer.issue(john));
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_token');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await get('/nothing-here');
    assert.equal(res.status, 404);
    assert.equal(res.body.error, 'not_found');
  });
});
