import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { createTokenExchanger, TokenExchangeError } from './token-exchange.ts';
import type { Subject, TokenExchangeOptions } from './token-exchange.ts';
import type { AccessTokenClaims } from '../security/verify-access-token.ts';
import { startTestIssuer } from '../../test/support/test-issuer.ts';
import { waitFor } from '../../test/support/many-users.ts';
import type { TestIssuer } from '../../test/support/test-issuer.ts';

const MCP = 'https://mcp.demo.example/';
const API = 'https://api.demo.example';
const john = { email: 'john.doe@demo.example', region: 'USA' };

describe('createTokenExchanger', () => {
  let issuer: TestIssuer;
  let options: TokenExchangeOptions;

  before(async () => {
    issuer = await startTestIssuer({ mcpResource: MCP, apiAudience: API });
    options = {
      tokenEndpoint: issuer.tokenEndpoint,
      clientId: issuer.client.id,
      clientSecret: issuer.client.secret,
      audience: API,
      timeoutMs: 5000,
    };
  });
  after(() => issuer.close());
  beforeEach(() => {
    issuer.exchanges.length = 0;
    issuer.behaviour = { exchangeDelayMs: 0, exchangeFailureStatus: undefined, exchangedClaims: undefined, jwksDown: false };
  });

  const subject = async (expiresIn?: number): Promise<Subject> => {
    const token = await issuer.issue(john, { expiresIn });
    return { token, claims: decodeJwt(token) as AccessTokenClaims };
  };

  it('exchanges the subject token for an API token with the MCP server as actor, client authenticated with encoded credentials', async () => {
    const exchanger = createTokenExchanger(options);
    const s = await subject();
    const token = await exchanger.tokenFor(s);
    const claims = decodeJwt(token!);
    assert.equal(claims.aud, API);
    assert.equal(claims.sub, john.email);
    assert.deepEqual(claims.act, { sub: issuer.client.id });
    assert.notEqual(token, s.token);
    const [request] = issuer.exchanges;
    assert.equal(request!.status, 200);
    assert.deepEqual(
      { ...request!.form },
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: s.token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: API,
      },
    );
  });

  it('caches per subject token, and shares one exchange between concurrent misses', async () => {
    const exchanger = createTokenExchanger(options);
    issuer.behaviour.exchangeDelayMs = 50;
    const a = await subject();
    const b = await subject();
    const first = await Promise.all(Array.from({ length: 5 }, () => exchanger.tokenFor(a)));
    assert.equal(new Set(first).size, 1);
    assert.equal(issuer.exchanges.length, 1);
    assert.equal(await exchanger.tokenFor(a), first[0]);
    await exchanger.tokenFor(b);
    assert.equal(issuer.exchanges.length, 2);
  });

  it('exchanges every time when the cache is disabled', async () => {
    const exchanger = createTokenExchanger({ ...options, cacheMaxEntries: 0 });
    const a = await subject();
    await Promise.all([exchanger.tokenFor(a), exchanger.tokenFor(a)]);
    await exchanger.tokenFor(a);
    assert.equal(issuer.exchanges.length, 3);
  });

  it('keeps at most cacheMaxEntries tokens', async () => {
    const exchanger = createTokenExchanger({ ...options, cacheMaxEntries: 2 });
    const [a, b, c] = [await subject(), await subject(), await subject()];
    for (const s of [a, b, c, a]) await exchanger.tokenFor(s);
    assert.equal(issuer.exchanges.length, 4); // a was evicted by c
  });

  it('does not keep a token past the subject token expiry (less the margin)', async () => {
    const exchanger = createTokenExchanger({ ...options, expiryMarginSeconds: 30 });
    const shortLived = await subject(20);
    await exchanger.tokenFor(shortLived);
    await exchanger.tokenFor(shortLived);
    assert.equal(issuer.exchanges.length, 2);
  });

  it('forgets a token the API refused', async () => {
    const exchanger = createTokenExchanger(options);
    const a = await subject();
    await exchanger.tokenFor(a);
    exchanger.invalidate(a);
    await exchanger.tokenFor(a);
    assert.equal(issuer.exchanges.length, 2);
  });

  it('lets an exchange under way finish when the token is forgotten meanwhile', async () => {
    const exchanger = createTokenExchanger(options);
    issuer.behaviour.exchangeDelayMs = 50;
    const a = await subject();
    const pending = exchanger.tokenFor(a);
    exchanger.invalidate(a);
    assert.ok(await pending);
    assert.equal(await exchanger.tokenFor(a), await pending, 'the new token is cached');
    assert.equal(issuer.exchanges.length, 1);
  });

  it('starts an exchange on prefetch that the tool call then joins', async () => {
    const exchanger = createTokenExchanger(options);
    issuer.behaviour.exchangeDelayMs = 50;
    const a = await subject();
    exchanger.prefetch!(a);
    const joined = exchanger.tokenFor(a);
    assert.ok(await joined);
    assert.equal(issuer.exchanges.length, 1, 'the call joined the prefetched exchange');
    const b = await subject();
    exchanger.prefetch!(b);
    await waitFor(() => issuer.exchanges.length === 2, 2000, 'an exchange started by prefetch alone');
    assert.ok(await exchanger.tokenFor(b));
    assert.equal(issuer.exchanges.length, 2, 'and the call found its token ready');
  });

  it('does not cache failures', async () => {
    const exchanger = createTokenExchanger(options);
    const a = await subject();
    issuer.behaviour.exchangeFailureStatus = 500;
    await assert.rejects(exchanger.tokenFor(a), { code: 'ERR_EXCHANGE_FAILED' });
    issuer.behaviour.exchangeFailureStatus = undefined;
    assert.ok(await exchanger.tokenFor(a));
  });

  it('fails within the time-out when the authorization server is slow', async () => {
    const exchanger = createTokenExchanger({ ...options, timeoutMs: 200 });
    issuer.behaviour.exchangeDelayMs = 1000;
    const started = Date.now();
    await assert.rejects(
      exchanger.tokenFor(await subject()),
      (err: unknown) => err instanceof TokenExchangeError && err.code === 'ERR_EXCHANGE_TIMEOUT' && /0\.2 s/.test(err.message),
    );
    assert.ok(Date.now() - started < 900);
  });

  it('reports a refusal with the OAuth error', async () => {
    const exchanger = createTokenExchanger({ ...options, clientSecret: 'wrong' });
    await assert.rejects(exchanger.tokenFor(await subject()), {
      code: 'ERR_EXCHANGE_REFUSED',
      details: { status: 401, oauthError: 'invalid_client' },
    });
  });

  it('reports an unreachable authorization server', async () => {
    const exchanger = createTokenExchanger({ ...options, tokenEndpoint: 'http://127.0.0.1:9/oauth/v2/oauth-token' });
    await assert.rejects(exchanger.tokenFor(await subject()), { code: 'ERR_EXCHANGE_UNREACHABLE' });
  });

  it('refuses a negative cache size', () => {
    assert.throws(() => createTokenExchanger({ ...options, cacheMaxEntries: -1 }), /cacheMaxEntries/);
  });
});
