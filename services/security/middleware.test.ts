import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Hono } from 'hono';
import { bearerAuth } from './middleware.ts';
import type { AuthEnv } from './middleware.ts';
import { listen } from '../../test/support/listen.ts';
import type { Listening } from '../../test/support/listen.ts';
import { negativeTokenCorpus } from '../../test/support/negative-tokens.ts';
import { startTestIssuer } from '../../test/support/test-issuer.ts';
import type { TestIssuer } from '../../test/support/test-issuer.ts';

const AUDIENCE = 'https://api.demo.example';
const METADATA = 'https://api.demo.example/.well-known/oauth-protected-resource';
const user = { email: 'john.doe@demo.example', region: 'USA' };

describe('bearerAuth', () => {
  let issuer: TestIssuer;
  let server: Listening;

  before(async () => {
    issuer = await startTestIssuer({ mcpResource: 'https://mcp.demo.example/', apiAudience: AUDIENCE });
    const app = new Hono<AuthEnv>();
    app.use(
      '/protected',
      bearerAuth({
        issuer: issuer.issuer,
        audience: AUDIENCE,
        jwks: issuer.jwksUri,
        requiredScope: 'stocks/read',
        resourceMetadata: METADATA,
        jwksCooldownMs: 1_000,
        jwksTimeoutMs: 500,
      }),
    );
    app.get('/protected', (c) => c.json({ sub: c.get('claims').sub, region: c.get('claims').region }));
    server = await listen(app);
  });
  after(async () => {
    await server?.close();
    await issuer?.close();
  });

  const call = (authorization?: string, path = '/protected') =>
    fetch(`${server.url}${path}`, { headers: authorization ? { authorization } : {} });

  it('puts the verified claims on the context for a valid token', async () => {
    const res = await call(`Bearer ${await issuer.issue(user, { audience: AUDIENCE })}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { sub: user.email, region: 'USA' });
  });

  it('accepts the scheme in any letter case', async () => {
    const res = await call(`bearer ${await issuer.issue(user, { audience: AUDIENCE })}`);
    assert.equal(res.status, 200);
  });

  it('answers a request without a token with a challenge that has no error code (RFC 6750 §3.1)', async () => {
    const res = await call();
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${METADATA}", scope="stocks/read"`);
    assert.equal((await res.json()).error, 'unauthorized');
  });

  it('never reads a token from the query string', async () => {
    const token = await issuer.issue(user, { audience: AUDIENCE });
    const res = await call(undefined, `/protected?access_token=${token}`);
    assert.equal(res.status, 401);
  });

  it('treats another scheme as no token', async () => {
    const res = await call('Basic dXNlcjpwYXNz');
    assert.equal(res.status, 401);
    assert.doesNotMatch(res.headers.get('www-authenticate')!, /error=/);
  });

  it('refuses every token of the negative corpus with the right status, challenge and no echo of the token', async () => {
    const corpus = await negativeTokenCorpus(issuer, { audience: AUDIENCE, otherAudience: 'https://mcp.demo.example/' });
    for (const testCase of corpus) {
      const res = await call(testCase.authorization);
      const body = await res.text();
      assert.equal(res.status, testCase.status, testCase.name);
      assert.equal(
        res.headers.get('www-authenticate'),
        `Bearer error="${testCase.error}", resource_metadata="${METADATA}", scope="stocks/read"`,
        testCase.name,
      );
      assert.equal(JSON.parse(body).error, testCase.error, testCase.name);
      const token = testCase.authorization.split(' ')[1]!;
      assert.ok(!body.includes(token.slice(-20)), `${testCase.name}: the body must not echo the token`);
      assert.doesNotMatch(body, /at .*\.ts:\d+/, `${testCase.name}: no stack trace`);
    }
  });

  it('fetched the JWKS a bounded number of times despite unknown kids (cool-down)', () => {
    // one initial fetch, at most one refetch for the unknown kids within the cool-down
    assert.ok(issuer.jwksRequests >= 1 && issuer.jwksRequests <= 2, `JWKS fetched ${issuer.jwksRequests} times`);
  });
});

describe('bearerAuth when the keys are unavailable', () => {
  it('fails closed with 503 when the JWKS endpoint fails', async () => {
    const issuer = await startTestIssuer({ mcpResource: 'https://mcp.demo.example/', apiAudience: AUDIENCE });
    issuer.behaviour.jwksDown = true;
    const app = new Hono<AuthEnv>();
    app.use('*', bearerAuth({ issuer: issuer.issuer, audience: AUDIENCE, jwks: issuer.jwksUri, requiredScope: 'stocks/read' }));
    app.get('/', (c) => c.text('data'));
    const server = await listen(app);
    try {
      const res = await fetch(server.url, { headers: { authorization: `Bearer ${await issuer.issue(user, { audience: AUDIENCE })}` } });
      assert.equal(res.status, 503);
      assert.equal((await res.json()).error, 'temporarily_unavailable');
    } finally {
      await server.close();
      await issuer.close();
    }
  });

  it('fails closed within the time-out when the JWKS endpoint hangs', async () => {
    const hanging = new Hono();
    hanging.get('*', () => new Promise<Response>(() => {}));
    const jwksServer = await listen(hanging);
    const issuer = await startTestIssuer({ mcpResource: 'https://mcp.demo.example/', apiAudience: AUDIENCE });
    const app = new Hono<AuthEnv>();
    app.use(
      '*',
      bearerAuth({
        issuer: issuer.issuer,
        audience: AUDIENCE,
        jwks: `${jwksServer.url}/jwks`,
        requiredScope: 'stocks/read',
        jwksTimeoutMs: 300,
      }),
    );
    app.get('/', (c) => c.text('data'));
    const server = await listen(app);
    try {
      const started = Date.now();
      const res = await fetch(server.url, { headers: { authorization: `Bearer ${await issuer.issue(user, { audience: AUDIENCE })}` } });
      assert.equal(res.status, 503);
      assert.ok(Date.now() - started < 2000);
    } finally {
      await server.close();
      await jwksServer.close();
      await issuer.close();
    }
  });
});
