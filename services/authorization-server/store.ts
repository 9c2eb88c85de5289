/**
 * The server's state behind one small interface, in PostgreSQL tables (migrations/). Each group
 * of methods is one table; `transaction` gives the same interface bound to one transaction, for
 * the steps that must happen together (a code redeemed and its tokens stored, a refresh token
 * used and its successor stored). Methods that answer "is it still valid" take the server's
 * clock, so expired rows count as gone before the sweep removes them.
 */
import type { Database, Queryable } from './database.ts';
import { withIssuedTokenIndex } from './issued-token-index.ts';

export type GrantType = 'authorization_code' | 'refresh_token';

/** A client registered dynamically (RFC 7591). */
export interface RegisteredClient {
  clientId: string;
  /** `tokenHash` of the secret, for confidential clients. */
  secretHash?: string;
  tokenEndpointAuthMethod: 'none' | 'client_secret_basic' | 'client_secret_post';
  redirectUris: string[];
  clientName?: string;
  scope: string;
  grantTypes: GrantType[];
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
    /** The client asked for `offline_access` and may have refresh tokens: the consent page asks the user. */
    offlineAccess?: boolean;
  };
  /** The address typed in, lower-case; set once the email form is posted. */
  email?: string;
  /** Codes sent in this sign-in (each one is a row of `oneTimeCodes`, the latest replacing the last). */
  codesSent: number;
  /** Set once the code was entered correctly. */
  subject?: string;
  /** A message for the next page (after a redirect). */
  notice?: string;
}

/** A one-time code mailed for a sign-in. */
export interface OneTimeCode {
  signInId: string;
  email: string;
  /** `tokenHash` of the code; empty for an address that may not sign in (nothing matches it). */
  codeHash: string;
  /** The client address that asked for it. */
  requestedBy: string;
  failures: number;
  usableUntil: number;
  /** Its sign-in's expiry: the row says what became of the code as long as the sign-in lives. */
  expiresAt: number;
}

/** What the user approved, carried by an authorization code. */
export interface Consent {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  resource: string;
  subject: string;
  /** The user approved offline access: the code's redemption also gives a refresh token. */
  offlineAccess: boolean;
}

export interface AuthorizationCode {
  consent: Consent;
  usableUntil: number;
  /** The grant its redemption started; set once redeemed. */
  grantId?: string;
}

/** One consent: every token issued from it belongs to it, and revoking it revokes them all. */
export interface Grant {
  id: string;
  clientId: string;
  subject: string;
  scope: string;
  resource: string;
  /** Claims the consent's tokens carry (region, client type and assurance level). */
  claims: Record<string, unknown>;
  createdAt: number;
  /** When its last token expires. */
  expiresAt: number;
}

export interface AccessTokenRecord {
  tokenHash: string;
  jti: string;
  grantId: string;
  clientId: string;
  jwt: string;
  expiresAt: number;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  grantId: string;
  clientId: string;
  usedAt?: number;
  expiresAt: number;
}

export interface StoredSigningKey {
  kid: string;
  publicJwk: Record<string, unknown>;
  /** Encrypted private key (see key-encryption.ts). */
  privateKey: string;
  createdAt: number;
  /** Unset for the key that signs; a replaced key stops being published then. */
  expiresAt?: number;
}

export interface Store {
  clients: {
    insert(client: RegisteredClient): Promise<void>;
    get(clientId: string, now: number): Promise<RegisteredClient | undefined>;
  };
  signIns: {
    insert(txn: SignInTransaction): Promise<void>;
    /** `forUpdate` locks the row until the transaction ends (use inside `transaction`). */
    get(id: string, now: number, forUpdate?: boolean): Promise<SignInTransaction | undefined>;
    save(txn: SignInTransaction): Promise<void>;
    /** Removes it; false when it was already gone. */
    delete(id: string): Promise<boolean>;
  };
  oneTimeCodes: {
    /** Stores the sign-in's code, replacing the one it had. */
    put(code: OneTimeCode): Promise<void>;
    get(signInId: string): Promise<OneTimeCode | undefined>;
    /** Counts a wrong try; the code's failures, or undefined when it is gone (invalidated meanwhile). */
    fail(signInId: string): Promise<number | undefined>;
    /** Removes it; false when it was already gone. */
    delete(signInId: string): Promise<boolean>;
    /** Invalidates every outstanding code of `email`; returns how many. */
    deleteForEmail(email: string): Promise<number>;
  };
  codeFailures: {
    /**
     * Counts one more wrong code for `email` (which it locks until the transaction ends) and
     * returns the count; it starts again once `windowSeconds` passed since its first.
     */
    add(email: string, now: number, windowSeconds: number): Promise<number>;
    clear(email: string): Promise<void>;
  };
  rateLimits: {
    /** Counts one request in the current fixed window. */
    hit(bucket: string, address: string, now: number, windowSeconds: number): Promise<{ count: number; resetAt: number }>;
    /** Takes one back from the current window's count (a mailed code that was used). */
    refund(bucket: string, address: string): Promise<void>;
  };
  codes: {
    insert(codeHash: string, code: AuthorizationCode, keepUntil: number): Promise<void>;
    get(codeHash: string, forUpdate?: boolean): Promise<AuthorizationCode | undefined>;
    markRedeemed(codeHash: string, grantId: string): Promise<void>;
  };
  grants: {
    insert(grant: Grant): Promise<void>;
    get(id: string): Promise<Grant | undefined>;
    /** Keeps the grant at least until `expiresAt`. */
    extend(id: string, expiresAt: number): Promise<void>;
    /** Deletes it with every token issued from it. */
    revoke(id: string): Promise<void>;
  };
  accessTokens: {
    insert(token: AccessTokenRecord): Promise<void>;
    get(tokenHash: string, now: number): Promise<AccessTokenRecord | undefined>;
    /** The JWT of the unexpired token with this `jti`; undefined once it is revoked or expired. */
    jwtOf(jti: string, now: number): Promise<string | undefined>;
    /** Deletes it when it belongs to `clientId`; false when there was nothing to delete. */
    delete(tokenHash: string, clientId: string): Promise<boolean>;
  };
  refreshTokens: {
    insert(token: RefreshTokenRecord): Promise<void>;
    get(tokenHash: string, forUpdate?: boolean): Promise<RefreshTokenRecord | undefined>;
    markUsed(tokenHash: string, now: number): Promise<void>;
  };
  signingKeys: {
    /** Takes the lock that serialises key creation across instances (inside `transaction`). */
    lock(): Promise<void>;
    list(now: number): Promise<StoredSigningKey[]>;
    insert(key: StoredSigningKey): Promise<void>;
    /** Gives every signing key but `kid` an expiry. */
    retireAllBut(kid: string, expiresAt: number): Promise<void>;
  };
  /** Runs `work` in one transaction with a store bound to it. */
  transaction<T>(work: (tx: Store) => Promise<T>): Promise<T>;
  /** Deletes rows whose time has passed, at most `limit` per table; returns how many per table. */
  sweep(now: number, limit: number): Promise<Record<string, number>>;
}

/** The tables the sweep visits; deleting a grant deletes its tokens too. */
const SWEPT = [
  'one_time_codes',
  'sign_ins',
  'authorization_codes',
  'access_tokens',
  'refresh_tokens',
  'grants',
  'clients',
  'rate_limits',
  'code_failures',
  'signing_keys',
] as const;
const SIGNING_KEYS_LOCK = 7_319_002;

/** Rows as the tables hold them (migrations/); nullable columns are null, not undefined. */
interface ClientRow {
  client_id: string;
  secret_hash: string | null;
  token_endpoint_auth_method: RegisteredClient['tokenEndpointAuthMethod'];
  redirect_uris: string[];
  client_name: string | null;
  scope: string;
  grant_types: GrantType[];
  issued_at: number;
  expires_at: number;
}
interface GrantRow {
  id: string;
  client_id: string;
  subject: string;
  scope: string;
  resource: string;
  claims: Record<string, unknown>;
  created_at: number;
  expires_at: number;
}
interface AccessTokenRow {
  token_hash: string;
  jti: string;
  grant_id: string;
  client_id: string;
  jwt: string;
  expires_at: number;
}
interface RefreshTokenRow {
  token_hash: string;
  grant_id: string;
  client_id: string;
  used_at: number | null;
  expires_at: number;
}
interface OneTimeCodeRow {
  sign_in_id: string;
  email: string;
  code_hash: string;
  requested_by: string;
  failures: number;
  usable_until: number;
  expires_at: number;
}
interface CodeRow {
  consent: Consent;
  usable_until: number;
  grant_id: string | null;
}
interface SigningKeyRow {
  kid: string;
  public_jwk: Record<string, unknown>;
  private_key: string;
  created_at: number;
  expires_at: number | null;
}

const json = (value: unknown) => JSON.stringify(value);
const optional = <T>(value: T | null): T | undefined => value ?? undefined;

function clientFrom(r: ClientRow): RegisteredClient {
  return {
    clientId: r.client_id,
    secretHash: optional(r.secret_hash),
    tokenEndpointAuthMethod: r.token_endpoint_auth_method,
    redirectUris: r.redirect_uris,
    clientName: optional(r.client_name),
    scope: r.scope,
    grantTypes: r.grant_types,
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
  };
}

function grantFrom(r: GrantRow): Grant {
  return {
    id: r.id,
    clientId: r.client_id,
    subject: r.subject,
    scope: r.scope,
    resource: r.resource,
    claims: r.claims,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  };
}

function accessTokenFrom(r: AccessTokenRow): AccessTokenRecord {
  return { tokenHash: r.token_hash, jti: r.jti, grantId: r.grant_id, clientId: r.client_id, jwt: r.jwt, expiresAt: r.expires_at };
}

function bind(q: Queryable, db: Database): Store {
  const rows = async <R>(sql: string, params: unknown[]) => (await q.query<R>(sql, params)).rows;
  const first = async <R>(sql: string, params: unknown[]) => (await rows<R>(sql, params))[0];
  const run = async (sql: string, params: unknown[]) => (await q.query(sql, params)).rowCount;
  const lock = (forUpdate?: boolean) => (forUpdate ? ' FOR UPDATE' : '');

  return {
    clients: {
      async insert(c) {
        await run(
          `INSERT INTO clients (client_id, secret_hash, token_endpoint_auth_method, redirect_uris, client_name, scope, grant_types, issued_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            c.clientId,
            c.secretHash ?? null,
            c.tokenEndpointAuthMethod,
            json(c.redirectUris),
            c.clientName ?? null,
            c.scope,
            json(c.grantTypes),
            c.issuedAt,
            c.expiresAt,
          ],
        );
      },
      async get(clientId, now) {
        const r = await first<ClientRow>('SELECT * FROM clients WHERE client_id = $1 AND expires_at > $2', [clientId, now]);
        return r && clientFrom(r);
      },
    },

    signIns: {
      async insert(txn) {
        await run('INSERT INTO sign_ins (id, state, expires_at) VALUES ($1, $2, $3)', [txn.id, json(txn), txn.expiresAt]);
      },
      async get(id, now, forUpdate) {
        const r = await first<{ state: SignInTransaction }>(
          `SELECT state FROM sign_ins WHERE id = $1 AND expires_at > $2${lock(forUpdate)}`,
          [id, now],
        );
        return r?.state;
      },
      async save(txn) {
        await run('UPDATE sign_ins SET state = $2 WHERE id = $1', [txn.id, json(txn)]);
      },
      async delete(id) {
        return (await run('DELETE FROM sign_ins WHERE id = $1', [id])) > 0;
      },
    },

    oneTimeCodes: {
      async put(code) {
        await run(
          `INSERT INTO one_time_codes (sign_in_id, email, code_hash, requested_by, failures, usable_until, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (sign_in_id) DO UPDATE SET
             email = $2, code_hash = $3, requested_by = $4, failures = $5, usable_until = $6, expires_at = $7`,
          [code.signInId, code.email, code.codeHash, code.requestedBy, code.failures, code.usableUntil, code.expiresAt],
        );
      },
      async get(signInId) {
        const r = await first<OneTimeCodeRow>('SELECT * FROM one_time_codes WHERE sign_in_id = $1', [signInId]);
        return (
          r && {
            signInId: r.sign_in_id,
            email: r.email,
            codeHash: r.code_hash,
            requestedBy: r.requested_by,
            failures: r.failures,
            usableUntil: r.usable_until,
            expiresAt: r.expires_at,
          }
        );
      },
      async fail(signInId) {
        const r = await first<{ failures: number }>(
          'UPDATE one_time_codes SET failures = failures + 1 WHERE sign_in_id = $1 RETURNING failures',
          [signInId],
        );
        return r?.failures;
      },
      async delete(signInId) {
        return (await run('DELETE FROM one_time_codes WHERE sign_in_id = $1', [signInId])) > 0;
      },
      async deleteForEmail(email) {
        return run('DELETE FROM one_time_codes WHERE email = $1', [email]);
      },
    },

    codeFailures: {
      async add(email, now, windowSeconds) {
        const r = await first<{ count: number }>(
          `INSERT INTO code_failures (email, count, expires_at) VALUES ($1, 1, $2::bigint + $3::bigint)
           ON CONFLICT (email) DO UPDATE SET
             count = CASE WHEN code_failures.expires_at <= $2 THEN 1 ELSE code_failures.count + 1 END,
             expires_at = CASE WHEN code_failures.expires_at <= $2 THEN $2::bigint + $3::bigint ELSE code_failures.expires_at END
           RETURNING count`,
          [email, now, windowSeconds],
        );
        return r!.count;
      },
      async clear(email) {
        await run('DELETE FROM code_failures WHERE email = $1', [email]);
      },
    },

    rateLimits: {
      async hit(bucket, address, now, windowSeconds) {
        const r = await first<{ count: number; expires_at: number }>(
          `INSERT INTO rate_limits (bucket, address, count, expires_at) VALUES ($1, $2, 1, $3::bigint + $4::bigint)
           ON CONFLICT (bucket, address) DO UPDATE SET
             count = CASE WHEN rate_limits.expires_at <= $3 THEN 1 ELSE rate_limits.count + 1 END,
             expires_at = CASE WHEN rate_limits.expires_at <= $3 THEN $3::bigint + $4::bigint ELSE rate_limits.expires_at END
           RETURNING count, expires_at`,
          [bucket, address, now, windowSeconds],
        );
        return { count: r!.count, resetAt: r!.expires_at };
      },
      async refund(bucket, address) {
        await run('UPDATE rate_limits SET count = GREATEST(count - 1, 0) WHERE bucket = $1 AND address = $2', [bucket, address]);
      },
    },

    codes: {
      async insert(codeHash, code, keepUntil) {
        await run('INSERT INTO authorization_codes (code_hash, consent, usable_until, expires_at) VALUES ($1, $2, $3, $4)', [
          codeHash,
          json(code.consent),
          code.usableUntil,
          keepUntil,
        ]);
      },
      async get(codeHash, forUpdate) {
        const r = await first<CodeRow>(`SELECT * FROM authorization_codes WHERE code_hash = $1${lock(forUpdate)}`, [codeHash]);
        return r && { consent: r.consent, usableUntil: r.usable_until, grantId: optional(r.grant_id) };
      },
      async markRedeemed(codeHash, grantId) {
        await run('UPDATE authorization_codes SET grant_id = $2 WHERE code_hash = $1', [codeHash, grantId]);
      },
    },

    grants: {
      async insert(g) {
        await run(
          `INSERT INTO grants (id, client_id, subject, scope, resource, claims, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [g.id, g.clientId, g.subject, g.scope, g.resource, json(g.claims), g.createdAt, g.expiresAt],
        );
      },
      async get(id) {
        const r = await first<GrantRow>('SELECT * FROM grants WHERE id = $1', [id]);
        return r && grantFrom(r);
      },
      async extend(id, expiresAt) {
        await run('UPDATE grants SET expires_at = GREATEST(expires_at, $2) WHERE id = $1', [id, expiresAt]);
      },
      async revoke(id) {
        await run('DELETE FROM grants WHERE id = $1', [id]);
      },
    },

    accessTokens: {
      async insert(t) {
        await run('INSERT INTO access_tokens (token_hash, jti, grant_id, client_id, jwt, expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [
          t.tokenHash,
          t.jti,
          t.grantId,
          t.clientId,
          t.jwt,
          t.expiresAt,
        ]);
      },
      async get(hash, now) {
        const r = await first<AccessTokenRow>('SELECT * FROM access_tokens WHERE token_hash = $1 AND expires_at > $2', [hash, now]);
        return r && accessTokenFrom(r);
      },
      async jwtOf(jti, now) {
        return (await first<{ jwt: string }>('SELECT jwt FROM access_tokens WHERE jti = $1 AND expires_at > $2', [jti, now]))?.jwt;
      },
      async delete(hash, clientId) {
        return (await run('DELETE FROM access_tokens WHERE token_hash = $1 AND client_id = $2', [hash, clientId])) > 0;
      },
    },

    refreshTokens: {
      async insert(t) {
        await run('INSERT INTO refresh_tokens (token_hash, grant_id, client_id, expires_at) VALUES ($1, $2, $3, $4)', [
          t.tokenHash,
          t.grantId,
          t.clientId,
          t.expiresAt,
        ]);
      },
      async get(hash, forUpdate) {
        const r = await first<RefreshTokenRow>(`SELECT * FROM refresh_tokens WHERE token_hash = $1${lock(forUpdate)}`, [hash]);
        return (
          r && { tokenHash: r.token_hash, grantId: r.grant_id, clientId: r.client_id, usedAt: optional(r.used_at), expiresAt: r.expires_at }
        );
      },
      async markUsed(hash, now) {
        await run('UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1', [hash, now]);
      },
    },

    signingKeys: {
      async lock() {
        await q.query('SELECT pg_advisory_xact_lock($1)', [SIGNING_KEYS_LOCK]);
      },
      async list(now) {
        const found = await rows<SigningKeyRow>(
          'SELECT * FROM signing_keys WHERE expires_at IS NULL OR expires_at > $1 ORDER BY created_at DESC, kid',
          [now],
        );
        return found.map((r) => ({
          kid: r.kid,
          publicJwk: r.public_jwk,
          privateKey: r.private_key,
          createdAt: r.created_at,
          expiresAt: optional(r.expires_at),
        }));
      },
      async insert(k) {
        await run('INSERT INTO signing_keys (kid, public_jwk, private_key, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
          k.kid,
          json(k.publicJwk),
          k.privateKey,
          k.createdAt,
          k.expiresAt ?? null,
        ]);
      },
      async retireAllBut(kid, expiresAt) {
        await run('UPDATE signing_keys SET expires_at = $2 WHERE expires_at IS NULL AND kid <> $1', [kid, expiresAt]);
      },
    },

    transaction: (work) => db.transaction((tx) => work(bind(tx, db))),

    async sweep(now, limit) {
      const removed: Record<string, number> = {};
      for (const table of SWEPT) {
        // Rows another instance is sweeping (locked) are skipped rather than waited for.
        removed[table] = await run(
          `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
          [now, limit],
        );
      }
      return removed;
    },
  };
}

/**
 * The store on a database whose schema is up to date (see migrate.ts); on a database only this
 * process can reach, its access tokens are kept in memory too (issued-token-index.ts).
 */
export function createStore(db: Database): Store {
  return db.exclusive ? withIssuedTokenIndex(bind(db, db)) : bind(db, db);
}
