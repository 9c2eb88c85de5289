/**
 * The phantom-token cache: opaque token → JWT, bounded in entries, each entry living no longer than
 * the plugin's `token_cache_seconds`, the introspection response's max-age and the JWT's own `exp`.
 * Keys are hashes, so the cache never holds a usable opaque token. Only successes are stored, so a
 * flood of bogus tokens cannot grow it; concurrent misses for one token share one introspection.
 */
import { decodeJwt } from 'jose';
import { LRUCache } from 'lru-cache';
import { tokenHash } from '@mcp-secured-api/contracts';
import type { IntrospectionResult } from './introspection.ts';

export interface TokenCacheOptions {
  /** Most entries held; the least recently used go first. Default 10,000. */
  maxEntries?: number;
}

export class PhantomTokenCache {
  readonly #entries: LRUCache<string, string>;
  readonly #inFlight = new Map<string, Promise<IntrospectionResult>>();
  #introspections = 0;

  constructor(options: TokenCacheOptions = {}) {
    this.#entries = new LRUCache({ max: options.maxEntries ?? 10_000 });
  }

  /** Entries held now (expired ones may linger until touched or evicted, but are never served). */
  get size(): number {
    return this.#entries.size;
  }

  /** Introspections started, for tests and diagnostics. */
  get introspections(): number {
    return this.#introspections;
  }

  /** Introspections under way. */
  get pending(): number {
    return this.#inFlight.size;
  }

  /**
   * The cached JWT for `token`, or the result of `introspect` (shared by concurrent callers for
   * the same `scope` and token), cached for at most `maxSeconds` when it is a success.
   */
  async resolve(
    scope: string,
    token: string,
    maxSeconds: number,
    introspect: () => Promise<IntrospectionResult>,
  ): Promise<IntrospectionResult> {
    const key = tokenHash(`${scope}\n${token}`);
    const jwt = this.#entries.get(key);
    if (jwt !== undefined) return { status: 200, jwt, maxAge: undefined };
    let pending = this.#inFlight.get(key);
    if (!pending) {
      this.#introspections++;
      pending = introspect()
        .then((result) => {
          if ('jwt' in result) this.#store(key, result.jwt, Math.min(maxSeconds, result.maxAge ?? Infinity));
          return result;
        })
        .finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  #store(key: string, jwt: string, seconds: number): void {
    let ttlMs = seconds * 1000;
    try {
      const { exp } = decodeJwt(jwt);
      if (typeof exp === 'number') ttlMs = Math.min(ttlMs, exp * 1000 - Date.now());
    } catch {
      // Not a JWT we can read: the plugin's and the server's limits still apply.
    }
    if (ttlMs >= 1) this.#entries.set(key, jwt, { ttl: Math.floor(ttlMs) });
  }

  clear(): void {
    this.#entries.clear();
  }
}
