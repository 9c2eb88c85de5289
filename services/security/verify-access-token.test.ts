import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { createAccessTokenVerifier } from './verify-access-token.ts';
import { InvalidTokenError } from './errors.ts';
import { extractBearerToken } from './bearer.ts';
import { negativeTokenCorpus } from '../testing/negative-tokens.ts';
import { startTestIssuer } from '../testing/test-issuer.ts';
import type { TestIssuer } from '../testing/test-issuer.ts';

const AUDIENCE = 'https://mcp.demo.example/';
const user = { email: 'jane.test@demo.example', region: 'Europe' };

describe('createAccessTokenVerifier', () => {
  let issuer: TestIssuer;
  before(async () => {
    issuer = await startTestIssuer({ mcpResource: AUDIENCE, apiAudience: 'https://api.demo.example' });
  });
  after(() => issuer.close());

  it('returns the claims of a valid token, including AI context and the actor', async () => {
    const verify = createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: issuer.jwksUri });
    const claims = await verify(await issuer.issue(user, { claims: { act: { sub: 'mcp-server-client' } } }));
    assert.equal(claims.sub, user.email);
    assert.equal(claims.region, 'Europe');
    assert.equal(claims.client_type, 'mcp');
    assert.equal(claims.client_assurance_level, 1);
    assert.deepEqual(claims.act, { sub: 'mcp-server-client' });
  });

  it('refuses each invalid token of the corpus for the intended reason', async () => {
    const verify = createAccessTokenVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      jwks: createLocalJWKSet({ keys: [issuer.publicJwk] }),
    });
    const corpus = await negativeTokenCorpus(issuer, { audience: AUDIENCE, otherAudience: 'https://api.demo.example', user });
    for (const testCase of corpus.filter((c) => c.reason)) {
      await assert.rejects(
        verify(extractBearerToken(testCase.authorization)),
        (err: unknown) => err instanceof InvalidTokenError && err.reason === testCase.reason,
        testCase.name,
      );
    }
  });

  it('names the failing claim', async () => {
    const verify = createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: issuer.jwksUri });
    await assert.rejects(verify(await issuer.issue(user, { audience: 'https://api.demo.example' })), { claim: 'aud', code: 'ERR_TOKEN_INVALID' });
  });

  it('accepts small clock differences and honours the configured tolerance', async () => {
    const lenient = createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: issuer.jwksUri });
    const strict = createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: issuer.jwksUri, clockToleranceSeconds: 0 });
    const justExpired = await issuer.issue(user, { expiresIn: -5 });
    assert.equal((await lenient(justExpired)).sub, user.email);
    await assert.rejects(strict(justExpired), { reason: 'ERR_JWT_EXPIRED' });
  });

  it('refuses claims of the wrong type', async () => {
    const verify = createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: issuer.jwksUri });
    await assert.rejects(verify(await issuer.issue(user, { claims: { act: 'someone' } })), { reason: 'ERR_TOKEN_CLAIMS', claim: 'act' });
    await assert.rejects(verify(await issuer.issue(user, { claims: { region: ['USA'] } })), { reason: 'ERR_TOKEN_CLAIMS', claim: 'region' });
  });

  it('accepts another allowed algorithm only when configured', async () => {
    const verify = createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: issuer.jwksUri, algorithms: ['ES256'] });
    await assert.rejects(verify(await issuer.issue(user)), { reason: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  });

  it('verifies a token once and remembers it until it expires, unless told not to', async () => {
    const local = createLocalJWKSet({ keys: [issuer.publicJwk] });
    let keyLookups = 0;
    const counting: JWTVerifyGetKey = async (header, token) => {
      keyLookups++;
      return local(header, token);
    };
    const remembering = createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: counting, clockToleranceSeconds: 0 });
    const token = await issuer.issue(user);
    assert.equal((await remembering(token)).sub, user.email);
    assert.equal((await remembering(token)).sub, user.email);
    assert.equal(keyLookups, 1);

    const forgetful = createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: counting, verifiedCacheMaxEntries: 0 });
    await forgetful(token);
    await forgetful(token);
    assert.equal(keyLookups, 3);

    const shortLived = await issuer.issue(user, { expiresIn: 1 });
    await remembering(shortLived);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await assert.rejects(remembering(shortLived), { reason: 'ERR_JWT_EXPIRED' });
  });

  it('never remembers a refused token', async () => {
    const local = createLocalJWKSet({ keys: [issuer.publicJwk] });
    let keyLookups = 0;
    const verify = createAccessTokenVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      jwks: async (header, token) => {
        keyLookups++;
        return local(header, token);
      },
    });
    const wrongAudience = await issuer.issue(user, { audience: 'https://api.demo.example' });
    await assert.rejects(verify(wrongAudience));
    await assert.rejects(verify(wrongAudience));
    assert.equal(keyLookups, 2);
  });

  it('checks its options once, at creation', () => {
    const base = { issuer: 'https://login.demo.example/oauth/v2/oauth-anonymous', audience: AUDIENCE, jwks: 'https://login.demo.example/jwks' };
    assert.throws(() => createAccessTokenVerifier({ ...base, algorithms: ['none'] }), /none cannot be allowed/);
    assert.throws(() => createAccessTokenVerifier({ ...base, algorithms: ['HS256'] }), /HS256 cannot be allowed/);
    assert.throws(() => createAccessTokenVerifier({ ...base, algorithms: [] }), /at least one/);
    assert.throws(() => createAccessTokenVerifier({ ...base, audience: '' }), /audience is required/);
    assert.throws(() => createAccessTokenVerifier({ ...base, jwks: 'not a url' }), TypeError);
    assert.throws(() => createAccessTokenVerifier({ ...base, verifiedCacheMaxEntries: -1 }), /verifiedCacheMaxEntries/);
  });
});
