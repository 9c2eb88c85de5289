/**
 * The server's state behind a small interface: every map expires its entries and is capped,
 * so that floods of registrations, sign-ins or tokens cannot grow memory without bound.
 * Records also carry their own expiry, checked against the server's clock.
 */
import { LRUCache } from 'lru-cache';

export interface ExpiringMap<V> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Removes and returns the value in one step: what makes single-use values single-use. */
  take(key: string): Promise<V | undefined>;
}

/** A client registered dynamically (RFC 7591). */
export interface RegisteredClient {
  clientId: string;
  /** SHA-256 of the secret, for confidential clients. */
  secretHash?: string;
  tokenEndpointAuthMethod: 'none' | 'client_secret_basic' | 'client_secret_post';
  redirectUris: string[];
  clientName?: string;
  scope: string;
  issuedAt: number;
  expiresAt: number;
}

/** An authorization request on its way through sign-in and consent. */
export interface SignInTransaction {
  id: string;
  csrf: string;
  expiresAt: number;
  request: {
    clientId: string;
    clientName: string;
    redirectUri: string;
    state?: string;
    codeChallenge: string;
    scope: string;
    resource: string;
  };
  /** The address typed in, lower-case; set once the email form is posted. */
  email?: string;
  /** The one-time code sent to a configured user, and its bookkeeping. */
  otp?: { code: string; expiresAt: number; failures: number };
  codesSent: number;
  /** Set once the code was entered correctly. */
  subject?: string;
  /** A message for the next page (after a redirect). */
  notice?: string;
}

export interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  resource: string;
  subject: string;
  expiresAt: number;
}

/** What a redeemed code issued, so that a second redemption can revoke it. */
export interface RedeemedCode {
  accessToken: string;
  revoked: boolean;
}

export interface AccessTokenRecord {
  jwt: string;
  jti: string;
  clientId: string;
  subject: string;
  scope: string;
  expiresAt: number;
}

export interface AuthorizationServerStore {
  clients: ExpiringMap<RegisteredClient>;
  transactions: ExpiringMap<SignInTransaction>;
  codes: ExpiringMap<AuthorizationCode>;
  redeemedCodes: ExpiringMap<RedeemedCode>;
  /** Keyed by the opaque token. */
  accessTokens: ExpiringMap<AccessTokenRecord>;
  /** `jti` → opaque token, for the tokens not revoked. */
  activeTokenIds: ExpiringMap<string>;
}

export interface StoreLimits {
  clients: number;
  transactions: number;
  codes: number;
  accessTokens: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = {
  clients: 10_000,
  transactions: 10_000,
  codes: 10_000,
  accessTokens: 200_000,
};

class MemoryMap<V extends object | string> implements ExpiringMap<V> {
  readonly #cache: LRUCache<string, V>;
  constructor(max: number) {
    this.#cache = new LRUCache<string, V>({ max });
  }
  async get(key: string) {
    return this.#cache.get(key);
  }
  async set(key: string, value: V, ttlSeconds: number) {
    this.#cache.set(key, value, { ttl: Math.max(1, Math.ceil(ttlSeconds)) * 1000 });
  }
  async delete(key: string) {
    return this.#cache.delete(key);
  }
  async take(key: string) {
    const value = this.#cache.get(key);
    this.#cache.delete(key);
    return value;
  }
}

export function createMemoryStore(limits: Partial<StoreLimits> = {}): AuthorizationServerStore {
  const l = { ...DEFAULT_STORE_LIMITS, ...limits };
  return {
    clients: new MemoryMap(l.clients),
    transactions: new MemoryMap(l.transactions),
    codes: new MemoryMap(l.codes),
    redeemedCodes: new MemoryMap(l.codes),
    accessTokens: new MemoryMap(l.accessTokens),
    activeTokenIds: new MemoryMap(l.accessTokens),
  };
}
