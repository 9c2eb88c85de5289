/**
 * Where the verifier finds the key of a token: the authorization server's JWKS (cached by `jose`,
 * fetched again on an unknown `kid` at most once per cool-down, time-limited), or a key getter
 * given in advance. Keys named by the token itself are never followed, and a key set that cannot
 * be fetched is a `KeySetUnavailableError`, never a reason to accept or refuse a token.
 */
import { createRemoteJWKSet, errors } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { InvalidTokenError, KeySetUnavailableError } from './errors.ts';

export interface KeyLookupOptions {
  /** The JWKS URL, or a key getter such as `createLocalJWKSet(...)`. */
  jwks: string | URL | JWTVerifyGetKey;
  timeoutMs: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
}

// Headers that point at keys chosen by the token's author: never followed (RFC 8725 §3.10).
const KEY_POINTING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

export function createKeyLookup(options: KeyLookupOptions): JWTVerifyGetKey {
  const keys = typeof options.jwks === 'function' ? options.jwks : remoteKeysAfterCooldown(options.jwks, options);

  return async function getKey(header, token) {
    const pointer = KEY_POINTING_HEADERS.find((name) => name in header);
    if (pointer) {
      throw new InvalidTokenError(
        `The access token's "${pointer}" header is not accepted: keys come only from the authorization server.`,
        'ERR_TOKEN_HEADER_FORBIDDEN',
        pointer,
      );
    }
    try {
      return await keys(header, token);
    } catch (err) {
      // An unknown or ambiguous key is the token's fault; anything else is the key set's.
      if (
        err instanceof errors.JWKSNoMatchingKey ||
        err instanceof errors.JWKSMultipleMatchingKeys ||
        err instanceof errors.JOSENotSupported
      )
        throw err;
      throw new KeySetUnavailableError({ cause: err });
    }
  };
}

/**
 * The remote key set, with one addition to `jose`'s: a token naming a key not yet seen during
 * the cool-down waits it out and looks once more, so a key the authorization server started
 * signing with just after our last fetch is always found; the wait is shared by all such tokens.
 */
function remoteKeysAfterCooldown(url: string | URL, options: Omit<KeyLookupOptions, 'jwks'>): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(url), {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
  });
  let coolingDown: Promise<void> | undefined;
  const cooledDown = () =>
    (coolingDown ??= (async () => {
      while (remote.coolingDown) await new Promise((resolve) => setTimeout(resolve, 50));
    })().finally(() => (coolingDown = undefined)));

  return async function lookUp(header, token) {
    // Outside the cool-down, jose itself fetches the key set again when the key is unknown.
    const refetches = !remote.coolingDown;
    try {
      return await remote(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || refetches) throw err;
      await cooledDown();
      return remote(header, token);
    }
  };
}
