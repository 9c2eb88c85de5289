/**
 * Verifies a JWT access token (RFC 9068 profile) with `jose` against the authorization server's
 * keys. Everything that can be prepared is prepared once, when the verifier is created: the
 * options are checked, the key lookup (key-lookup.ts), the cache of verified tokens
 * (verified-token-cache.ts) and the verification options are built. Per token: its form, the
 * cache, then the signature and the claims.
 */
import { errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import { InvalidTokenError, KeySetUnavailableError } from './errors.ts';
import { createKeyLookup } from './key-lookup.ts';
import { createVerifiedTokenCache } from './verified-token-cache.ts';

/** The claims of an access token this product's authorization server issues. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  scope?: string;
  client_id?: string;
  /** The user's region: which data they may see. */
  region?: string;
  /** AI context: what kind of client the user authorised (e.g. `mcp`). */
  client_type?: string;
  client_assurance_level?: number;
  /** After a token exchange (RFC 8693 §4.1): the party acting for the subject. */
  act?: { sub: string; [claim: string]: unknown };
}

export interface AccessTokenVerifierOptions {
  issuer: string;
  /** The audience this resource server accepts (its resource identifier). */
  audience: string;
  /** The JWKS URL, or a key getter such as `createLocalJWKSet(...)` when keys are known in advance. */
  jwks: string | URL | JWTVerifyGetKey;
  /** Allowed signature algorithms. Default: PS256. */
  algorithms?: string[];
  /**
   * The `typ` header tokens must carry. Default: at+jwt (RFC 9068). `null` checks none, for
   * issuers whose access tokens carry no type (the audience check still keeps other tokens out).
   */
  typ?: string | null;
  /** Tolerance for `exp`, `nbf` and `iat`, in seconds. Default: 30. */
  clockToleranceSeconds?: number;
  /** Oldest acceptable `iat`, in seconds (tokens issued in the future are refused too). Default: one day. */
  maxTokenAgeSeconds?: number;
  /** Longest token accepted, in characters. Default: 8192. */
  maxTokenLength?: number;
  /** JWKS fetch time-out in milliseconds. Default: 5000. */
  jwksTimeoutMs?: number;
  /**
   * Least time between two JWKS fetches triggered by unknown `kid`s, in milliseconds. Default: 1000.
   * A token naming a key not yet seen waits out the rest of this interval, and the key set is then
   * fetched once for all such tokens: a key the authorization server has just started signing with is
   * always found, at the cost of at most this wait, and a flood of made-up `kid`s costs the
   * authorization server at most one fetch per interval.
   */
  jwksCooldownMs?: number;
  /** How long fetched keys are used before they are fetched again, in milliseconds. Default: 600000. */
  jwksCacheMaxAgeMs?: number;
  /**
   * Most verified tokens remembered (keyed by their SHA-256), so that a token presented again is
   * not verified again; 0 turns this off. Default: 10,000 (as many as the gateway's phantom-token
   * cache holds). Entries expire with the token, and no later than the key set would be refreshed.
   * Refused tokens are never remembered.
   */
  verifiedCacheMaxEntries?: number;
  /** The current time in milliseconds. Default: `Date.now`; tests pass their own clock instead of sleeping. */
  now?: () => number;
}

export type AccessTokenVerifier = (token: string) => Promise<AccessTokenClaims>;

// A compact JWS: three base64url segments. A compact JWE has five.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const COMPACT_JWE = /^[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*){4}$/;

export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const settings = verifierSettings(options);
  const getKey = createKeyLookup({
    jwks: options.jwks,
    timeoutMs: options.jwksTimeoutMs ?? 5000,
    cooldownMs: options.jwksCooldownMs ?? 1_000,
    cacheMaxAgeMs: settings.keysMaxAgeMs,
  });
  const now = options.now ?? Date.now;
  const verified = createVerifiedTokenCache(settings.verifiedMax, settings.keysMaxAgeMs, now);

  return async function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    checkForm(token, settings.maxTokenLength);
    const remembered = verified.get(token);
    if (remembered) return remembered;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, { ...settings.verifyOptions, currentDate: new Date(now()) }));
    } catch (err) {
      throw toResourceServerError(err);
    }
    const claims = Object.freeze(checkClaimTypes(payload));
    verified.remember(token, claims);
    return claims;
  };
}

/** The options checked and completed with their defaults; a bad option throws at creation. */
function verifierSettings(options: AccessTokenVerifierOptions) {
  const algorithms = options.algorithms ?? ['PS256'];
  if (algorithms.length === 0) throw new TypeError('algorithms must name at least one signature algorithm, such as PS256');
  for (const alg of algorithms) {
    if (alg.toLowerCase() === 'none' || alg.startsWith('HS')) {
      throw new TypeError(`algorithm ${alg} cannot be allowed: access tokens must be signed with the authorization server's private key`);
    }
  }
  if (!options.issuer) throw new TypeError('issuer is required');
  if (!options.audience) throw new TypeError('audience is required');
  const verifiedMax = options.verifiedCacheMaxEntries ?? 10_000;
  if (!Number.isInteger(verifiedMax) || verifiedMax < 0)
    throw new TypeError('verifiedCacheMaxEntries must be a whole number, 0 to disable');
  const verifyOptions: JWTVerifyOptions = {
    algorithms,
    issuer: options.issuer,
    audience: options.audience,
    ...(options.typ === null ? {} : { typ: options.typ ?? 'at+jwt' }),
    clockTolerance: options.clockToleranceSeconds ?? 30,
    maxTokenAge: options.maxTokenAgeSeconds ?? 86_400,
    requiredClaims: ['exp', 'iat', 'sub'],
  };
  return {
    verifyOptions,
    verifiedMax,
    maxTokenLength: options.maxTokenLength ?? 8192,
    keysMaxAgeMs: options.jwksCacheMaxAgeMs ?? 600_000,
  };
}

/** Refuses what is not a signed compact JWT of a sensible size before any work is spent on it. */
function checkForm(token: string, maxLength: number): void {
  if (token.length > maxLength) {
    throw new InvalidTokenError(`The access token is longer than ${maxLength} characters.`, 'ERR_TOKEN_TOO_LARGE');
  }
  if (!COMPACT_JWS.test(token)) {
    if (COMPACT_JWE.test(token)) {
      throw new InvalidTokenError('The access token is encrypted (JWE); a signed JWT is expected.', 'ERR_TOKEN_ENCRYPTED');
    }
    throw new InvalidTokenError('The access token is not a JWT (three base64url segments separated by dots).', 'ERR_TOKEN_MALFORMED');
  }
}

function toResourceServerError(err: unknown): Error {
  if (err instanceof InvalidTokenError || err instanceof KeySetUnavailableError) return err;
  if (err instanceof errors.JOSEError) {
    const claim = err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired ? err.claim : undefined;
    return new InvalidTokenError(describe(err.code, claim), err.code, claim);
  }
  // Not a token problem jose recognises (e.g. a key it cannot use): still refuse the token.
  return new InvalidTokenError('The access token could not be verified.', 'ERR_TOKEN_UNVERIFIABLE');
}

function describe(code: string, claim: string | undefined): string {
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return claim === 'iat'
        ? 'The access token was issued too long ago; obtain a new one.'
        : 'The access token has expired; obtain a new one.';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return claim === 'typ'
        ? 'The access token has the wrong "typ" header.'
        : `The access token's "${claim}" claim is missing or not acceptable at this resource.`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'The access token is signed with an algorithm this resource does not accept.';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'The access token is signed with a key the authorization server does not publish.';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'The access token signature is not valid.';
    default:
      return 'The access token is malformed.';
  }
}

function checkClaimTypes(payload: JWTPayload): AccessTokenClaims {
  const bad = (claim: string) =>
    new InvalidTokenError(`The access token's "${claim}" claim has the wrong type.`, 'ERR_TOKEN_CLAIMS', claim);
  if (typeof payload.sub !== 'string' || payload.sub === '') throw bad('sub');
  if (payload.scope !== undefined && typeof payload.scope !== 'string') throw bad('scope');
  if (payload.region !== undefined && typeof payload.region !== 'string') throw bad('region');
  if (payload.client_type !== undefined && typeof payload.client_type !== 'string') throw bad('client_type');
  const act = payload.act as { sub?: unknown } | undefined;
  if (act !== undefined && (typeof act !== 'object' || act === null || typeof act.sub !== 'string')) throw bad('act');
  return payload as AccessTokenClaims;
}
