/**
 * The whole chain on loopback: test issuer (real keys, JWKS, token exchange), stocks API and MCP
 * server on ephemeral ports, driven with the MCP SDK client.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { decodeJwt } from 'jose';
import { createLogger, silentLogger } from '@mcp-secured-api/contracts';
import { createMcpServer } from './app.ts';
import type { McpServerConfig } from './app.ts';
import { createStocksApi } from '../stocks-api/app.ts';
import { listen } from '../../test/support/listen.ts';
import type { Listening } from '../../test/support/listen.ts';
import { negativeTokenCorpus } from '../../test/support/negative-tokens.ts';
import { startTestIssuer } from '../../test/support/test-issuer.ts';
import type { TestIssuer, TestUser } from '../../test/support/test-issuer.ts';

const API = 'https://api.demo.example';
const INSPECTOR = 'http://localhost:6274';
const john = { email: 'john.doe@demo.example', region: 'USA' };
const jane = { email: 'jane.test@demo.example', region: 'Europe' };
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
};

function statusWithHost(url: string, host: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: { ...headers, host }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

interface RunningMcp extends Listening {
  resource: string;
  metadataUrl: string;
}

describe('MCP server and stocks API chain', () => {
  let issuer: TestIssuer;
  let api: Listening;
  let mcp: RunningMcp;
  /** Authorization headers the API received. */
  const apiSaw: (string | null)[] = [];
  /** How long the API waits before answering, so that tests can make requests overlap. */
  let apiDelayMs = 0;
  const logLines: string[] = [];
  const servers: Listening[] = [];

  /** Starts an MCP server whose public origin is its own loopback address. */
  async function startMcp(overrides: Partial<McpServerConfig> = {}): Promise<RunningMcp> {
    let app: { fetch: (r: Request) => Response | Promise<Response> } | undefined;
    const listening = await listen({ fetch: (r) => app!.fetch(r) });
    const resource = `${listening.url}/`;
    app = createMcpServer({
      publicOrigin: listening.url,
      allowedOrigins: [INSPECTOR],
      resource,
      resourceName: 'Stocks MCP server',
      issuer: issuer.issuer,
      requiredScope: 'stocks/read',
      apiBaseUrl: api.url,
      jwt: { issuer: issuer.issuer, jwks: issuer.jwksUri },
      tokenExchange: {
        tokenEndpoint: issuer.tokenEndpoint,
        clientId: issuer.client.id,
        clientSecret: issuer.client.secret,
        audience: API,
        timeoutMs: 300,
      },
      apiTimeoutMs: 1000,
      log: createLogger({ write: (line) => logLines.push(line) }),
      ...overrides,
    } as McpServerConfig);
    servers.push(listening);
    issuer.mcpResources.push(resource);
    return { ...listening, resource, metadataUrl: `${listening.url}/.well-known/oauth-protected-resource` };
  }

  async function connect(user: TestUser, target = mcp): Promise<{ client: Client; token: string }> {
    const token = await issuer.issue(user, { audience: target.resource });
    const client = new Client({ name: 'chain-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(target.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
    );
    return { client, token };
  }

  const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;
  const post = (headers: Record<string, string>, body: unknown = INITIALIZE, target = mcp) =>
    fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  before(async () => {
    issuer = await startTestIssuer({ mcpResource: 'placeholder', apiAudience: API });
    const apiApp = createStocksApi({
      jwt: { issuer: issuer.issuer, audience: API, jwks: issuer.jwksUri, requiredScope: 'stocks/read' },
      log: silentLogger,
    });
    api = await listen({
      fetch: async (r) => {
        apiSaw.push(r.headers.get('authorization'));
        if (apiDelayMs) await setTimeout(apiDelayMs);
        return apiApp.fetch(r);
      },
    });
    mcp = await startMcp();
  });
  after(async () => {
    for (const s of servers) await s.close();
    await api?.close();
    await issuer?.close();
  });
  beforeEach(() => {
    issuer.behaviour = { exchangeDelayMs: 0, exchangeFailureStatus: undefined, exchangedClaims: undefined, jwksDown: false };
  });

  it('answers /health without a token and whatever the Host', async () => {
    const res = await fetch(`${mcp.url}/health`, { headers: { origin: 'https://evil.example' } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('serves its protected-resource metadata without a token', async () => {
    const res = await fetch(mcp.metadataUrl);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      resource: mcp.resource,
      authorization_servers: [issuer.issuer],
      scopes_supported: ['stocks/read'],
      bearer_methods_supported: ['header'],
      resource_name: 'Stocks MCP server',
    });
  });

  it('lists both tools with their schemas', async () => {
    const { client } = await connect(john);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['fetch-stock-prices', 'get-stock-price']);
    const get = tools.find((t) => t.name === 'get-stock-price')!;
    assert.deepEqual(get.inputSchema.required, ['id']);
    assert.ok(get.outputSchema);
    await client.close();
  });

  it("returns each user's region only, as text and structured content", async () => {
    const johnClient = (await connect(john)).client;
    const janeClient = (await connect(jane)).client;
    const usa = (await johnClient.callTool({ name: 'fetch-stock-prices' })) as CallToolResult;
    const europe = (await janeClient.callTool({ name: 'fetch-stock-prices' })) as CallToolResult;
    assert.deepEqual(
      (usa.structuredContent!.stocks as { id: string }[]).map((s) => s.id),
      ['COM1', 'COM4'],
    );
    assert.deepEqual(
      (europe.structuredContent!.stocks as { id: string }[]).map((s) => s.id),
      ['COM2', 'COM3'],
    );
    assert.deepEqual(JSON.parse(text(europe)), europe.structuredContent!.stocks);
    await johnClient.close();
    await janeClient.close();
  });

  it('gets one stock, and tells the agent when it is not in its region', async () => {
    const { client } = await connect(john);
    const com1 = (await client.callTool({ name: 'get-stock-price', arguments: { id: 'COM1' } })) as CallToolResult;
    assert.equal(com1.isError, undefined);
    assert.deepEqual(com1.structuredContent, { id: 'COM1', name: 'Company 1', region: 'USA', price: 450.22 });
    const com2 = (await client.callTool({ name: 'get-stock-price', arguments: { id: 'COM2' } })) as CallToolResult;
    assert.equal(com2.isError, true);
    assert.match(text(com2), /No stock with id COM2 .* fetch-stock-prices/);
    await client.close();
  });

  it('validates tool input', async () => {
    const { client } = await connect(john);
    const result = (await client.callTool({ name: 'get-stock-price', arguments: { id: '../admin' } })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(text(result), /stock id such as COM1/);
    await client.close();
  });

  it("never lets one caller see another caller's answers under concurrency", async () => {
    const johnClient = (await connect(john)).client;
    const janeClient = (await connect(jane)).client;
    const calls = Array.from({ length: 20 }, (_, i) => {
      const [client, region] = i % 2 ? [johnClient, 'USA'] : [janeClient, 'Europe'];
      return client.callTool({ name: 'fetch-stock-prices' }).then((r) => ({ region, result: r as CallToolResult }));
    });
    for (const { region, result } of await Promise.all(calls)) {
      assert.ok((result.structuredContent!.stocks as { region: string }[]).every((s) => s.region === region));
    }
    await johnClient.close();
    await janeClient.close();
  });

  it("answers each of many overlapping requests with its own id and its own caller's data (CVE-2026-25536)", async () => {
    const users = [john, jane];
    const tokens = await Promise.all(users.map((u) => issuer.issue(u, { audience: mcp.resource })));
    // Exchanged once beforehand, so that the exchange's short time-out in this suite plays no part.
    for (const token of tokens) {
      await post(
        { authorization: `Bearer ${token}` },
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fetch-stock-prices' } },
      );
    }
    apiDelayMs = 20;
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const who = i % 2;
          const call =
            i % 4 < 2 ? { name: 'fetch-stock-prices' } : { name: 'get-stock-price', arguments: { id: who === 0 ? 'COM1' : 'COM2' } };
          const res = await post(
            { authorization: `Bearer ${tokens[who]}` },
            { jsonrpc: '2.0', id: 1000 + i, method: 'tools/call', params: call },
          );
          return { i, who, status: res.status, body: (await res.json()) as { id: number; result: CallToolResult } };
        }),
      );
      for (const { i, who, status, body } of answers) {
        assert.equal(status, 200);
        assert.equal(body.id, 1000 + i);
        const content = body.result.structuredContent;
        assert.ok(content, `request ${i}: ${JSON.stringify(body)}`);
        const regions = 'stocks' in content ? (content.stocks as { region: string }[]).map((s) => s.region) : [content.region];
        assert.deepEqual([...new Set(regions)], [users[who]!.region], `request ${i}`);
      }
    } finally {
      apiDelayMs = 0;
    }
  });

  it('sends the API only exchanged tokens (audience API, MCP server as actor), never the token it received', async () => {
    apiSaw.length = 0;
    issuer.exchanges.length = 0;
    const { client, token } = await connect(jane);
    // The exchange starts with the session's first request, not with its first tool call.
    for (let waited = 0; issuer.exchanges.length === 0 && waited < 2000; waited += 10) await setTimeout(10);
    assert.equal(issuer.exchanges.length, 1, 'exchanged while the session was being initialised');
    assert.equal(apiSaw.length, 0);
    await client.callTool({ name: 'fetch-stock-prices' });
    await client.callTool({ name: 'get-stock-price', arguments: { id: 'COM3' } });
    assert.equal(apiSaw.length, 2);
    for (const header of apiSaw) {
      assert.ok(header?.startsWith('Bearer '));
      const apiToken = header!.slice(7);
      assert.notEqual(apiToken, token);
      const claims = decodeJwt(apiToken);
      assert.equal(claims.aud, API);
      assert.deepEqual(claims.act, { sub: issuer.client.id });
    }
    assert.equal(issuer.exchanges.length, 1, 'the second call reuses the cached exchanged token');
    await client.close();
  });

  it('answers a request without a token 401 with resource_metadata and scope but no error code', async () => {
    const res = await post({});
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${mcp.metadataUrl}", scope="stocks/read"`);
    const params = extractWWWAuthenticateParams(res);
    assert.equal(params.resourceMetadataUrl?.href, mcp.metadataUrl);
    assert.equal(params.scope, 'stocks/read');
    assert.equal(params.error, undefined);
  });

  it('answers a bad token 401 invalid_token in a form the SDK client reads', async () => {
    const res = await post({ authorization: 'Bearer not-a-jwt' });
    assert.equal(res.status, 401);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer error="invalid_token", resource_metadata="${mcp.metadataUrl}", scope="stocks/read"`,
    );
    const params = extractWWWAuthenticateParams(res);
    assert.deepEqual([params.error, params.scope, params.resourceMetadataUrl?.href], ['invalid_token', 'stocks/read', mcp.metadataUrl]);
  });

  it('makes the SDK client fail with 401 when it has no token', async () => {
    const client = new Client({ name: 'chain-test', version: '1.0.0' });
    await assert.rejects(
      client.connect(new StreamableHTTPClientTransport(new URL(mcp.url))),
      (err: unknown) => err instanceof StreamableHTTPError && err.code === 401,
    );
  });

  it('refuses the negative corpus, including an API token passed to it', async () => {
    const corpus = await negativeTokenCorpus(issuer, { audience: mcp.resource, otherAudience: API });
    for (const testCase of corpus) {
      const res = await post({ authorization: testCase.authorization });
      assert.equal(res.status, testCase.status, testCase.name);
      assert.equal(
        res.headers.get('www-authenticate'),
        `Bearer error="${testCase.error}", resource_metadata="${mcp.metadataUrl}", scope="stocks/read"`,
        testCase.name,
      );
      await res.body?.cancel();
    }
  });

  it('refuses a foreign Origin and a foreign Host with 403 (DNS rebinding), and admits allowed origins', async () => {
    const token = await issuer.issue(john, { audience: mcp.resource });
    const auth = { authorization: `Bearer ${token}` };
    assert.equal((await post({ ...auth, origin: 'https://evil.example' })).status, 403);
    assert.equal((await post({ ...auth, origin: INSPECTOR })).status, 200);
    assert.equal((await post({ ...auth, origin: mcp.url })).status, 200);
    // fetch sets Host from the URL; node:http lets the test choose it.
    assert.equal(await statusWithHost(mcp.url, 'evil.example', auth), 403);
    assert.equal(await statusWithHost(mcp.metadataUrl, 'evil.example'), 403);
    assert.equal(await statusWithHost(`${mcp.url}/health`, 'evil.example'), 200);
  });

  it('answers GET and DELETE 405 (stateless: no stream, no session)', async () => {
    const auth = { authorization: `Bearer ${await issuer.issue(john, { audience: mcp.resource })}` };
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(mcp.url, { method, headers: { ...auth, accept: 'text/event-stream' } });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'POST');
    }
  });

  it('answers a body that is not JSON with a JSON-RPC parse error, and one not declared as JSON with 415', async () => {
    const auth = { authorization: `Bearer ${await issuer.issue(john, { audience: mcp.resource })}` };
    const bad = await post(auth, '{"jsonrpc": "2.0",');
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: number } }).error.code, -32700);
    const text = await post({ ...auth, 'content-type': 'text/plain' }, JSON.stringify(INITIALIZE));
    assert.equal(text.status, 415);
    await text.body?.cancel();
  });

  it('caps the request body', async () => {
    const auth = { authorization: `Bearer ${await issuer.issue(john, { audience: mcp.resource })}` };
    const res = await post(auth, JSON.stringify({ ...INITIALIZE, padding: 'x'.repeat(200 * 1024) }));
    assert.equal(res.status, 413);
    // Without a declared length (chunked), the body is read up to the cap and no further.
    const chunked = (text: string) =>
      fetch(mcp.url, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: new Blob([text]).stream(),
        duplex: 'half',
      } as RequestInit);
    assert.equal((await chunked(JSON.stringify({ ...INITIALIZE, padding: 'x'.repeat(200 * 1024) }))).status, 413);
    const small = await chunked(JSON.stringify(INITIALIZE));
    assert.equal(small.status, 200);
    assert.equal(((await small.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name, 'stocks-mcp-server');
  });

  it('turns a failing authorization server into a tool error the agent can act on', async () => {
    // From the start: the exchange begins as soon as the session's first request is authenticated.
    issuer.behaviour.exchangeFailureStatus = 503;
    const { client } = await connect(john);
    const result = (await client.callTool({ name: 'fetch-stock-prices' })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(text(result), /authorization server failed the token exchange \(HTTP 503\); try again later/);
    assert.match(logLines.at(-1)!, /ERR_EXCHANGE_FAILED/);
    await client.close();
  });

  it('turns a slow authorization server into a tool error within the time-out', async () => {
    issuer.behaviour.exchangeDelayMs = 2000;
    const { client } = await connect(john);
    const started = Date.now();
    const result = (await client.callTool({ name: 'fetch-stock-prices' })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(text(result), /did not answer the token exchange within 0\.3 s/);
    assert.ok(Date.now() - started < 1500);
    await client.close();
  });

  it('turns an unreachable API into a tool error', async () => {
    const down = await startMcp({ apiBaseUrl: 'http://127.0.0.1:9' });
    const { client } = await connect(john, down);
    const result = (await client.callTool({ name: 'fetch-stock-prices' })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(text(result), /stocks API cannot be reached/);
    await client.close();
  });

  it('answers 401 invalid_token when the API refuses the exchanged token, so the client re-authorises', async () => {
    issuer.behaviour.exchangedClaims = { aud: 'https://elsewhere.example' };
    const { client } = await connect(jane);
    await assert.rejects(
      client.callTool({ name: 'fetch-stock-prices' }),
      (err: unknown) => err instanceof StreamableHTTPError && err.code === 401,
    );
    const token = await issuer.issue(jane, { audience: mcp.resource });
    const res = await post(
      { authorization: `Bearer ${token}` },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fetch-stock-prices' } },
    );
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate')!, /^Bearer error="invalid_token", resource_metadata=/);
    await client.close();
  });

  it('answers 403 insufficient_scope when the API finds the scope missing', async () => {
    issuer.behaviour.exchangedClaims = { scope: 'openid' };
    const token = await issuer.issue(jane, { audience: mcp.resource });
    const res = await post(
      { authorization: `Bearer ${token}` },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fetch-stock-prices' } },
    );
    assert.equal(res.status, 403);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer error="insufficient_scope", resource_metadata="${mcp.metadataUrl}", scope="stocks/read"`,
    );
    assert.equal(extractWWWAuthenticateParams(res).error, 'insufficient_scope');
  });
});
