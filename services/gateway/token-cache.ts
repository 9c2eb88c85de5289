/**
 * The phantom-token cache: opaque token → JWT, bounded in entries, each entry living no longer than
 * the plugin's `token_cache_seconds`, the introspection response's max-age and the JWT's own `exp`.
 * Keys are hashes, so the cache never holds a usable opaque token. Only successes are stored, so a
 * flood of bogus tokens cannot grow it; concurrent misses for one token share one introspection.
 */
import { decodeJwt } from 'jose';
import { LRUCache } from 'lru-cache';
import { LRU_CLOCK_EVERY_TIME, tokenHash } from '@mcp-secured-api/contracts';
import type { IntrospectionResult } from './introspection.ts';

/**
 * What the plugin acts on: the introspection's refusal or failure as it came, or the JWT with its
 * scope claim read once, when it was introspected, rather than on every request that presents it.
 */
export type ResolvedToken = Exclude<IntrospectionResult, { status: 200 }> | ActiveToken;

export interface ActiveToken {
  status: 200;
  jwt: string;
  /** The JWT's `scope` claim, split; undefined when it has none or cannot be read. */
  scopes?: ReadonlySet<string>;
}

/** The parts of a JWT the cache and the plugin use, read without checking (the services verify it). */
function readJwt(jwt: string): { exp?: unknown; scopes?: ReadonlySet<string> } {
  try {
    const { exp, scope } = decodeJwt(jwt);
    return { exp, scopes: typeof scope === 'string' ? new Set(scope.split(/\s+/)) : undefined };
  } catch {
    return {};
  }
}

export interface TokenCacheOptions {
  /** Most entries held; the least recently used go first. Default 10,000. */
  maxEntries?: number;
}

export class PhantomTokenCache {
  readonly #entries: LRUCache<string, ResolvedToken>;
  readonly #inFlight = new Map<string, Promise<ResolvedToken>>();
  #introspections = 0;

  constructor(options: TokenCacheOptions = {}) {
    this.#entries = new LRUCache({ max: options.maxEntries ?? 10_000, ttlResolution: LRU_CLOCK_EVERY_TIME });
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
  async resolve(scope: string, token: string, maxSeconds: number, introspect: () => Promise<IntrospectionResult>): Promise<ResolvedToken> {
    const key = tokenHash(`${scope}\n${token}`);
    const cached = this.#entries.get(key);
    if (cached !== undefined) return cached;
    let pending = this.#inFlight.get(key);
    if (!pending) {
      this.#introspections++;
      pending = introspect()
        .then((result): ResolvedToken => {
          if (!('jwt' in result)) return result;
          const { exp, scopes } = readJwt(result.jwt);
          const resolved = Object.freeze({ status: 200 as const, jwt: result.jwt, scopes });
          this.#store(key, resolved, exp, Math.min(maxSeconds, result.maxAge ?? Infinity));
          return resolved;
        })
        .finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  /** Kept for `seconds` at most, and not past `exp` when the JWT has a readable one. */
  #store(key: string, resolved: ResolvedToken, exp: unknown, seconds: number): void {
    let ttlMs = seconds * 1000;
    if (typeof exp === 'number') ttlMs = Math.min(ttlMs, exp * 1000 - Date.now());
    if (ttlMs >= 1) this.#entries.set(key, resolved, { ttl: Math.floor(ttlMs) });
  }

  clear(): void {
    this.#entries.clear();
  }
}
