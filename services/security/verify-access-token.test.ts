import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JWK, JWTVerifyGetKey } from 'jose';
import { createAccessTokenVerifier } from './verify-access-token.ts';
import { InvalidTokenError } from './errors.ts';
import { extractBearerToken } from './bearer.ts';
import { negativeTokenCorpus } from '../../test/support/negative-tokens.ts';
import { startTestIssuer } from '../../test/support/test-issuer.ts';
import type { TestIssuer } from '../../test/support/test-issuer.ts';
import { listen } from '../../test/support/listen.ts';

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

  it('with typ: null, accepts a token without a typ header (issuers that set none) and still checks the audience', async () => {
    const untyped = createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: issuer.jwksUri, typ: null });
    const strict = createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: issuer.jwksUri });
    const noTyp = await issuer.issue(user, { header: { typ: undefined } });
    assert.equal((await untyped(noTyp)).sub, user.email);
    await assert.rejects(strict(noTyp), { claim: 'typ' });
    await assert.rejects(untyped(await issuer.issue(user, { audience: 'https://api.demo.example', header: { typ: undefined } })), {
      claim: 'aud',
    });
  });

  it('names the failing claim', async () => {
    const verify = createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: issuer.jwksUri });
    await assert.rejects(verify(await issuer.issue(user, { audience: 'https://api.demo.example' })), {
      claim: 'aud',
      code: 'ERR_TOKEN_INVALID',
    });
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
    await assert.rejects(verify(await issuer.issue(user, { claims: { region: ['USA'] } })), {
      reason: 'ERR_TOKEN_CLAIMS',
      claim: 'region',
    });
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
    let clock = Date.now();
    const remembering = createAccessTokenVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      jwks: counting,
      clockToleranceSeconds: 0,
      now: () => clock,
    });
    const token = await issuer.issue(user);
    assert.equal((await remembering(token)).sub, user.email);
    assert.equal((await remembering(token)).sub, user.email);
    assert.equal(keyLookups, 1);

    const forgetful = createAccessTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: counting, verifiedCacheMaxEntries: 0 });
    await forgetful(token);
    await forgetful(token);
    assert.equal(keyLookups, 3);

    const shortLived = await issuer.issue(user, { expiresIn: 60 });
    await remembering(shortLived);
    clock += 61_000;
    await assert.rejects(remembering(shortLived), { reason: 'ERR_JWT_EXPIRED' });
  });

  it('finds a remembered token without starting a timer (a busy verifier would otherwise start one every millisecond)', async (t) => {
    const verify = createAccessTokenVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      jwks: createLocalJWKSet({ keys: [issuer.publicJwk] }),
    });
    const token = await issuer.issue(user);
    await verify(token);
    const timers = t.mock.method(globalThis, 'setTimeout');
    for (let i = 0; i < 20; i++) {
      assert.equal((await verify(token)).sub, user.email);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(timers.mock.callCount(), 0);
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

  it('finds a key first used just after its last fetch, waiting out the cool-down, and fetches once for many unknown keys', async () => {
    const published: JWK[] = [];
    let fetches = 0;
    const jwks = await listen(new Hono().get('/jwks', (c) => (fetches++, c.json({ keys: published }))));
    const newKey = async () => {
      const { privateKey, publicKey } = await generateKeyPair('PS256');
      const kid = randomUUID();
      published.push({ ...(await exportJWK(publicKey)), kid, alg: 'PS256' });
      return (kid_: string = kid) =>
        new SignJWT({ sub: user.email, scope: 'stocks/read' })
          .setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', kid: kid_ })
          .setIssuer(issuer.issuer)
          .setAudience(AUDIENCE)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
    };
    try {
      const verify = createAccessTokenVerifier({
        issuer: issuer.issuer,
        audience: AUDIENCE,
        jwks: `${jwks.url}/jwks`,
        jwksCooldownMs: 400,
      });
      const signOld = await newKey();
      await verify(await signOld());
      assert.equal(fetches, 1);

      // The authorization server rotates right after that fetch: the new key's tokens still pass.
      const signNew = await newKey();
      const started = Date.now();
      const claims = await Promise.all([verify(await signNew()), verify(await signNew())]);
      assert.equal(claims[0]!.sub, user.email);
      assert.ok(Date.now() - started < 1000);
      assert.equal(fetches, 2);

      // Made-up key ids, all at once: refused, with one more fetch for them all.
      await new Promise((resolve) => setTimeout(resolve, 450));
      const madeUp = await Promise.all(Array.from({ length: 20 }, async () => signOld(randomUUID())));
      const results = await Promise.allSettled(madeUp.map((token) => verify(token)));
      assert.ok(results.every((r) => r.status === 'rejected' && (r.reason as InvalidTokenError).reason === 'ERR_JWKS_NO_MATCHING_KEY'));
      assert.equal(fetches, 3);
    } finally {
      await jwks.close();
    }
  });

  it('checks its options once, at creation', () => {
    const base = {
      issuer: 'https://login.demo.example/oauth/v2/oauth-anonymous',
      audience: AUDIENCE,
      jwks: 'https://login.demo.example/jwks',
    };
    assert.throws(() => createAccessTokenVerifier({ ...base, algorithms: ['none'] }), /none cannot be allowed/);
    assert.throws(() => createAccessTokenVerifier({ ...base, algorithms: ['HS256'] }), /HS256 cannot be allowed/);
    assert.throws(() => createAccessTokenVerifier({ ...base, algorithms: [] }), /at least one/);
    assert.throws(() => createAccessTokenVerifier({ ...base, audience: '' }), /audience is required/);
    assert.throws(() => createAccessTokenVerifier({ ...base, jwks: 'not a url' }), TypeError);
    assert.throws(() => createAccessTokenVerifier({ ...base, verifiedCacheMaxEntries: -1 }), /verifiedCacheMaxEntries/);
  });
});
