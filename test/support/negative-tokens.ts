/**
 * Access tokens a resource server must refuse, made with keys generated here and by the test
 * issuer: the attacks of RFC 8725 and the MCP security best practices, plus plain mistakes.
 * Shared so that every resource server runs the same corpus.
 */
import { EncryptJWT, SignJWT, base64url, exportJWK, exportSPKI, generateKeyPair, importJWK } from 'jose';
import type { TestIssuer, TestUser } from './test-issuer.ts';

export interface NegativeCase {
  name: string;
  /** The whole Authorization header value. */
  authorization: string;
  status: 400 | 401 | 403;
  /** The RFC 6750 error code expected in WWW-Authenticate. */
  error: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  /** For invalid tokens: the check that must refuse it (`InvalidTokenError.reason`). */
  reason?: string;
}

export interface CorpusOptions {
  /** The audience the server under test accepts. */
  audience: string;
  /** Another resource's audience (a token passed through must fail). */
  otherAudience: string;
  user?: TestUser;
}

export async function negativeTokenCorpus(issuer: TestIssuer, options: CorpusOptions): Promise<NegativeCase[]> {
  const user = options.user ?? { email: 'john.doe@demo.example', region: 'USA' };
  const now = Math.floor(Date.now() / 1000);
  const attacker = await generateKeyPair('PS256', { extractable: true });
  const attackerJwk = { ...(await exportJWK(attacker.publicKey)), kid: 'attacker', alg: 'PS256' };
  const encryption = await generateKeyPair('RSA-OAEP-256');
  const publicPem = await exportSPKI((await importJWK(issuer.publicJwk, 'PS256')) as CryptoKey);
  const ok = (o: Parameters<TestIssuer['issue']>[1] = {}) => issuer.issue(user, { audience: options.audience, ...o });
  const valid = await ok();
  const [validHeader, validPayload, validSignature] = valid.split('.');

  const unsigned = (alg: string, signature = '') => `${b64json({ alg, typ: 'at+jwt', kid: issuer.kid })}.${validPayload}.${signature}`;
  const hmacWith = (secret: string) =>
    new SignJWT(decodeJson(validPayload!))
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: issuer.kid })
      .sign(new TextEncoder().encode(secret));

  const bad = (name: string, reason: string, token: string): NegativeCase => ({
    name,
    reason,
    authorization: `Bearer ${token}`,
    status: 401,
    error: 'invalid_token',
  });
  return [
    bad('alg none, no signature', 'ERR_TOKEN_MALFORMED', unsigned('none')),
    bad('alg NONE with a signature', 'ERR_JOSE_ALG_NOT_ALLOWED', unsigned('NONE', 'c2ln')),
    bad('alg None with a signature', 'ERR_JOSE_ALG_NOT_ALLOWED', unsigned('None', 'c2ln')),
    bad('alg nOnE with a signature', 'ERR_JOSE_ALG_NOT_ALLOWED', unsigned('nOnE', 'c2ln')),
    bad('HS256 signed with the public key (PEM)', 'ERR_JOSE_ALG_NOT_ALLOWED', await hmacWith(publicPem)),
    bad('HS256 signed with the public key (JWK)', 'ERR_JOSE_ALG_NOT_ALLOWED', await hmacWith(JSON.stringify(issuer.publicJwk))),
    bad('unknown kid', 'ERR_JWKS_NO_MATCHING_KEY', await ok({ key: attacker.privateKey, header: { kid: 'unknown-key' } })),
    bad('known kid, signed by another key', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', await ok({ key: attacker.privateKey })),
    bad(
      'embedded jwk header',
      'ERR_TOKEN_HEADER_FORBIDDEN',
      await ok({ key: attacker.privateKey, header: { kid: 'attacker', jwk: attackerJwk } }),
    ),
    bad(
      'jku header',
      'ERR_TOKEN_HEADER_FORBIDDEN',
      await ok({ key: attacker.privateKey, header: { kid: 'attacker', jku: 'http://127.0.0.1:9/jwks' } }),
    ),
    bad(
      'x5u header',
      'ERR_TOKEN_HEADER_FORBIDDEN',
      await ok({ key: attacker.privateKey, header: { kid: 'attacker', x5u: 'http://127.0.0.1:9/cert' } }),
    ),
    bad('expired', 'ERR_JWT_EXPIRED', await ok({ expiresIn: -300 })),
    bad('not yet valid (nbf)', 'ERR_JWT_CLAIM_VALIDATION_FAILED', await ok({ claims: { nbf: now + 600 } })),
    bad('issued in the future (iat)', 'ERR_JWT_CLAIM_VALIDATION_FAILED', await ok({ claims: { iat: now + 600 } })),
    bad('no exp', 'ERR_JWT_CLAIM_VALIDATION_FAILED', await ok({ claims: { exp: undefined } })),
    bad('no sub', 'ERR_JWT_CLAIM_VALIDATION_FAILED', await ok({ claims: { sub: undefined } })),
    bad('wrong issuer', 'ERR_JWT_CLAIM_VALIDATION_FAILED', await ok({ claims: { iss: 'https://evil.example/oauth/v2/oauth-anonymous' } })),
    bad(
      'audience of another resource (token passthrough)',
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
      await ok({ audience: options.otherAudience }),
    ),
    bad('no audience', 'ERR_JWT_CLAIM_VALIDATION_FAILED', await ok({ claims: { aud: undefined } })),
    bad('typ JWT instead of at+jwt', 'ERR_JWT_CLAIM_VALIDATION_FAILED', await ok({ header: { typ: 'JWT' } })),
    bad('no typ', 'ERR_JWT_CLAIM_VALIDATION_FAILED', await ok({ header: { typ: undefined } })),
    bad(
      'a JWE instead of a JWS',
      'ERR_TOKEN_ENCRYPTED',
      await new EncryptJWT({ sub: user.email, aud: options.audience })
        .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' })
        .encrypt(encryption.publicKey),
    ),
    bad('not a JWT', 'ERR_TOKEN_MALFORMED', 'not-a-jwt'),
    bad('characters outside base64url', 'ERR_TOKEN_MALFORMED', `${valid.slice(0, 20)}$${valid.slice(21)}`),
    bad(
      'payload that is not JSON',
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      `${validHeader}.${base64url.encode('not json')}.${validSignature}`,
    ),
    bad(
      'tampered payload',
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      `${validHeader}.${b64json({ ...decodeJson(validPayload!), sub: 'someone.else@demo.example' })}.${validSignature}`,
    ),
    bad('oversized', 'ERR_TOKEN_TOO_LARGE', `${valid}${'A'.repeat(10_000)}`),
    { name: 'two credentials', authorization: `Bearer ${valid} ${valid}`, status: 400, error: 'invalid_request' },
    { name: 'scope missing', authorization: `Bearer ${await ok({ scope: 'openid profile' })}`, status: 403, error: 'insufficient_scope' },
    {
      name: 'no scope claim',
      authorization: `Bearer ${await ok({ claims: { scope: undefined } })}`,
      status: 403,
      error: 'insufficient_scope',
    },
  ];
}

function b64json(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

function decodeJson(segment: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64url.decode(segment)));
}
