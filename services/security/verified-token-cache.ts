/**
 * Tokens already verified, so that a token presented again is not verified again: keyed by the
 * token's SHA-256 (the cache never holds a usable token), bounded in number, each entry kept no
 * longer than its token lives and no longer than `maxAgeMs` (the key set's refresh interval, so
 * that a key withdrawn from the key set stops being trusted as it would without the cache).
 */
import { LRU_CLOCK_EVERY_TIME, tokenHash } from '@mcp-secured-api/contracts';
import { LRUCache } from 'lru-cache';
import type { AccessTokenClaims } from './verify-access-token.ts';

export interface VerifiedTokenCache {
  get(token: string): AccessTokenClaims | undefined;
  /** Remembers claims that were just verified (only those: a refused token is never remembered). */
  remember(token: string, claims: AccessTokenClaims): void;
}

/** A cache of at most `maxEntries` tokens; 0 remembers nothing. */
export function createVerifiedTokenCache(maxEntries: number, maxAgeMs: number, now: () => number = Date.now): VerifiedTokenCache {
  if (maxEntries === 0) return { get: () => undefined, remember: () => {} };
  const cache = new LRUCache<string, AccessTokenClaims>({ max: maxEntries, ttlResolution: LRU_CLOCK_EVERY_TIME });
  return {
    get(token) {
      const claims = cache.get(tokenHash(token));
      // The cache's own expiry follows the machine's clock; this check follows the verifier's.
      return claims && claims.exp * 1000 > now() ? claims : undefined;
    },
    remember(token, claims) {
      const ttl = Math.min(claims.exp * 1000 - now(), maxAgeMs);
      if (ttl > 0) cache.set(tokenHash(token), claims, { ttl });
    },
  };
}
