/**
 * The access tokens of a database only this process writes (the embedded one), kept in memory
 * too: what the process remembers of it stays true, so the lookups every new token's first tool
 * call makes (introspection at the gateway, the exchange at the MCP server) need no query. A
 * database several instances share (PostgreSQL) is always asked.
 *
 * A miss is always safe, so the index only has to never answer for a token the database no
 * longer holds. Every revocation goes through this store and drops its entries before its
 * statement runs; an entry read from the database, or inserted by a transaction, is added only if
 * nothing was dropped since the read or the transaction began (a generation count). A token's
 * grant outlives it (tokens.ts), so the sweep only ever removes expired tokens, which the index
 * refuses by their expiry. Bounded: the least recently used entries go first.
 */
import { LRUCache } from 'lru-cache';
import type { AccessTokenRecord, Store } from './store.ts';

export const ISSUED_TOKEN_INDEX_ENTRIES = 10_000;

class IssuedTokens {
  /** Bumped by every drop: an addition that began before it is not made. */
  generation = 0;
  readonly #byJti = new Map<string, string>();
  readonly #byGrant = new Map<string, Set<string>>();
  readonly #byHash: LRUCache<string, AccessTokenRecord>;

  constructor(maxEntries: number) {
    this.#byHash = new LRUCache({
      max: maxEntries,
      dispose: (record, hash) => {
        this.#byJti.delete(record.jti);
        const hashes = this.#byGrant.get(record.grantId);
        hashes?.delete(hash);
        if (hashes?.size === 0) this.#byGrant.delete(record.grantId);
      },
    });
  }

  add(record: AccessTokenRecord, since: number): void {
    if (since !== this.generation) return;
    this.#byHash.set(record.tokenHash, record);
    this.#byJti.set(record.jti, record.tokenHash);
    const hashes = this.#byGrant.get(record.grantId) ?? new Set<string>();
    this.#byGrant.set(record.grantId, hashes.add(record.tokenHash));
  }

  get(hash: string, now: number): AccessTokenRecord | undefined {
    const record = this.#byHash.get(hash);
    return record && record.expiresAt > now ? record : undefined;
  }

  jwtOf(jti: string, now: number): string | undefined {
    const hash = this.#byJti.get(jti);
    return hash === undefined ? undefined : this.get(hash, now)?.jwt;
  }

  dropToken(hash: string): void {
    this.generation++;
    this.#byHash.delete(hash);
  }

  dropGrant(grantId: string): void {
    this.generation++;
    for (const hash of [...(this.#byGrant.get(grantId) ?? [])]) this.#byHash.delete(hash);
  }
}

/** `store` with its access tokens also kept in memory; only for a database no other process writes. */
export function withIssuedTokenIndex(store: Store, maxEntries = ISSUED_TOKEN_INDEX_ENTRIES): Store {
  const index = new IssuedTokens(maxEntries);
  // `pending`: inside a transaction, the tokens it inserted, added once it has committed.
  const indexed = (s: Store, pending?: AccessTokenRecord[]): Store => ({
    ...s,
    accessTokens: {
      async insert(record) {
        const since = index.generation;
        await s.accessTokens.insert(record);
        if (pending) pending.push(record);
        else index.add(record, since);
      },
      async get(hash, now) {
        const known = index.get(hash, now);
        if (known) return known;
        const since = index.generation;
        const found = await s.accessTokens.get(hash, now);
        if (found && !pending) index.add(found, since);
        return found;
      },
      async jwtOf(jti, now) {
        return index.jwtOf(jti, now) ?? s.accessTokens.jwtOf(jti, now);
      },
      delete(hash, clientId) {
        index.dropToken(hash);
        return s.accessTokens.delete(hash, clientId);
      },
    },
    grants: {
      ...s.grants,
      revoke(id) {
        index.dropGrant(id);
        return s.grants.revoke(id);
      },
    },
    async transaction(work) {
      const since = index.generation;
      const inserted: AccessTokenRecord[] = [];
      const result = await s.transaction((tx) => work(indexed(tx, inserted)));
      for (const record of inserted) index.add(record, since);
      return result;
    },
  });
  return indexed(store);
}
