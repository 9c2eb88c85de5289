import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { z } from 'zod';
import { extractBearerToken } from './bearer.ts';
import { bearerChallenge, errorResponse } from './challenge.ts';
import { dnsRebindingProtection } from './dns-rebinding.ts';
import { ResourceServerEnvironmentError, jwtEnvironment, originList, readEnvironment } from './env.ts';
import { InsufficientScopeError, InvalidRequestError, InvalidTokenError, MissingTokenError } from './errors.ts';
import { hasScope } from './scope.ts';

describe('extractBearerToken', () => {
  it('returns the token of a Bearer header, scheme in any case', () => {
    assert.equal(extractBearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
    assert.equal(extractBearerToken('BEARER  abc'), 'abc');
  });
  it('treats no header, an empty Bearer and other schemes as no token', () => {
    for (const value of [undefined, '', 'Bearer', 'Bearer ', 'Basic abc', 'Bearerabc']) {
      assert.throws(() => extractBearerToken(value), MissingTokenError, String(value));
    }
  });
  it('refuses two credentials as an invalid request', () => {
    assert.throws(() => extractBearerToken('Bearer a b'), InvalidRequestError);
  });
});

describe('bearer challenges', () => {
  const parameters = { resourceMetadata: 'https://mcp.demo.example/.well-known/oauth-protected-resource', scope: 'stocks/read' };
  it('carries error, resource_metadata and scope', () => {
    assert.equal(
      bearerChallenge(new InvalidTokenError('x', 'r'), parameters),
      'Bearer error="invalid_token", resource_metadata="https://mcp.demo.example/.well-known/oauth-protected-resource", scope="stocks/read"',
    );
    assert.equal(bearerChallenge(new InsufficientScopeError('stocks/read'), {}), 'Bearer error="insufficient_scope"');
    assert.equal(bearerChallenge(new MissingTokenError(), {}), 'Bearer');
  });
  it('builds a JSON error response that says what is wrong', async () => {
    const res = errorResponse(new InsufficientScopeError('stocks/read'), parameters);
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const body = await res.json();
    assert.equal(body.error, 'insufficient_scope');
    assert.match(body.error_description, /stocks\/read/);
  });
});

describe('scopes', () => {
  it('matches whole scope tokens only', () => {
    assert.equal(hasScope('openid stocks/read', 'stocks/read'), true);
    assert.equal(hasScope('stocks/readwrite', 'stocks/read'), false);
    assert.equal(hasScope(undefined, 'stocks/read'), false);
  });
});

describe('dnsRebindingProtection', () => {
  const app = new Hono();
  app.use('*', dnsRebindingProtection({ publicOrigin: 'https://mcp.demo.example', allowedOrigins: ['http://localhost:6274'] }));
  app.post('/', (c) => c.text('ok'));
  const post = (headers: Record<string, string>) => app.request('https://internal:3000/', { method: 'POST', headers });

  it('lets the public host and allowed origins through', async () => {
    assert.equal((await post({ host: 'mcp.demo.example' })).status, 200);
    assert.equal((await post({ host: 'MCP.demo.example:443' })).status, 200);
    assert.equal((await post({ host: 'mcp.demo.example', origin: 'https://mcp.demo.example' })).status, 200);
    assert.equal((await post({ host: 'mcp.demo.example', origin: 'http://localhost:6274' })).status, 200);
  });
  it('refuses another Host or Origin with 403', async () => {
    assert.equal((await post({ host: 'evil.example' })).status, 403);
    assert.equal((await post({ host: 'mcp.demo.example:8443' })).status, 403);
    assert.equal((await post({ host: 'mcp.demo.example', origin: 'https://evil.example' })).status, 403);
    assert.equal((await post({ host: 'mcp.demo.example', origin: 'null' })).status, 403);
  });
  it('refuses a public origin that is not an origin', () => {
    assert.throws(() => dnsRebindingProtection({ publicOrigin: 'https://mcp.demo.example/path' }), /must be an origin/);
  });
});

describe('readEnvironment', () => {
  const schema = z.object({ ...jwtEnvironment, ALLOWED_ORIGINS: originList });
  const good = {
    ISSUER: 'https://login.demo.example/oauth/v2/oauth-anonymous',
    JWKS_URI: 'http://login:8443/oauth/v2/oauth-anonymous/jwks',
    REQUIRED_SCOPE: 'stocks/read',
    JWT_ALGORITHMS: 'PS256, ES256',
    JWT_TYP: 'at+jwt',
    ALLOWED_ORIGINS: 'http://localhost:6274',
  };
  it('parses lists', () => {
    const env = readEnvironment('test', schema, good);
    assert.deepEqual(env.JWT_ALGORITHMS, ['PS256', 'ES256']);
    assert.deepEqual(env.ALLOWED_ORIGINS, ['http://localhost:6274']);
    assert.deepEqual(readEnvironment('test', schema, { ...good, ALLOWED_ORIGINS: '' }).ALLOWED_ORIGINS, []);
  });
  it('reads an empty JWT_TYP as "no type required", and a missing one as an error', () => {
    assert.equal(readEnvironment('test', schema, good).JWT_TYP, 'at+jwt');
    assert.equal(readEnvironment('test', schema, { ...good, JWT_TYP: '' }).JWT_TYP, null);
    const { JWT_TYP: _, ...missing } = good;
    assert.throws(() => readEnvironment('test', schema, missing), /JWT_TYP/);
  });
  it('names every missing or bad variable', () => {
    const { ISSUER: _, ...missing } = good;
    assert.throws(
      () => readEnvironment('stocks-api', schema, { ...missing, JWT_ALGORITHMS: 'none', ALLOWED_ORIGINS: 'http://x/path' }),
      (err: unknown) =>
        err instanceof ResourceServerEnvironmentError &&
        /ISSUER is required/.test(err.message) &&
        /JWT_ALGORITHMS must be/.test(err.message) &&
        /ALLOWED_ORIGINS/.test(err.message),
    );
  });
});
