/**
 * Tokens. Agents receive an opaque random value (256 bits); behind it sits a JWT for the
 * MCP server, signed once at issuance and stored with the token's hash, so introspection is a
 * lookup. Every token belongs to a grant (one consent); with offline access, the grant also has
 * refresh tokens that rotate on every use, and a used one presented again revokes the grant with
 * every token issued from it. Token exchange (RFC 8693) turns an MCP-audience JWT into an
 * API-audience one: same subject and claims, never a wider scope or a longer life, with `act`
 * naming the MCP server. As a new token's first tool call asks for that exchange at once, its API
 * token is signed at issuance beside it; API tokens are kept in memory (`exchangedTokenEntries`)
 * per subject token and scope until shortly before they expire, and the exchange hands out the one
 * kept. Configured to keep none, every exchange signs a new one.
 *
 * Everything a response reports is committed before it is sent; the JWT is signed before the
 * transaction, so a slow signature never holds a lock.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { decodeJwt, type JWTPayload } from 'jose';
import { LRU_CLOCK_EVERY_TIME, OFFLINE_ACCESS, tokenHash } from '@mcp-secured-api/contracts';
import { LRUCache } from 'lru-cache';
import type { AuthenticatedClient } from './clients.ts';
import type { AuthorizationServerConfig } from './config.ts';
import { OAuthError } from './errors.ts';
import { sameText } from './same-text.ts';
import type { SigningKeys } from './keys.ts';
import type { AccessTokenRecord, Consent, Grant, RefreshTokenRecord, Store } from './store.ts';

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
  refreshToken?: string;
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The claims of a JWT, read without checking it (to look the token up); undefined when unreadable. */
function unverifiedClaims(token: string): JWTPayload | undefined {
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}

const revokedGrant = () => new OAuthError('invalid_grant', 'The refresh token has been revoked; sign in again');

export class Tokens {
  readonly #regions: Map<string, string>;
  /** Undefined when configured to keep none. */
  readonly #exchanged: LRUCache<string, { jwt: string; exp: number }> | undefined;

  constructor(
    private readonly config: AuthorizationServerConfig,
    private readonly keys: SigningKeys,
    private readonly store: Store,
    private readonly now: () => number,
  ) {
    this.#regions = new Map(config.users.map((u) => [u.email, u.region]));
    const max = config.exchangedTokenEntries;
    this.#exchanged = max > 0 ? new LRUCache({ max, ttlResolution: LRU_CLOCK_EVERY_TIME }) : undefined;
  }

  /** The claims a user's tokens carry; refused once the user is no longer configured. */
  #claims(subject: string): Record<string, unknown> {
    const region = this.#regions.get(subject);
    if (region === undefined) throw new OAuthError('invalid_grant', 'The user may no longer sign in');
    return { region, client_type: this.config.clientType, client_assurance_level: this.config.clientAssuranceLevel };
  }

  /**
   * Signs an access token of `grant` with `scope`; stored by the caller's transaction. The API
   * token its first tool call will ask for is signed beside it, in parallel, so that the exchange
   * finds it ready: a new token's first call then waits for no signature at the authorization server.
   */
  async #mint(grant: Grant, scope: string): Promise<{ opaque: string; record: AccessTokenRecord }> {
    const iat = this.now();
    const claims = {
      iss: this.config.issuer,
      sub: grant.subject,
      aud: grant.resource,
      scope,
      exp: iat + this.config.accessTokenTtlSeconds,
      iat,
      nbf: iat,
      jti: randomUUID(),
      client_id: grant.clientId,
      ...grant.claims,
    };
    const [jwt] = await Promise.all([this.keys.sign(claims), this.#exchanged && this.#apiToken(claims, scope, iat)]);
    const { jti, exp } = claims;
    const opaque = randomToken();
    return { opaque, record: { tokenHash: tokenHash(opaque), jti, grantId: grant.id, clientId: grant.clientId, jwt, expiresAt: exp } };
  }

  #newRefreshToken(grant: Grant): { token: string; record: RefreshTokenRecord } {
    const token = randomToken();
    const expiresAt = this.now() + this.config.refreshTokenTtlSeconds;
    return { token, record: { tokenHash: tokenHash(token), grantId: grant.id, clientId: grant.clientId, expiresAt } };
  }

  #issued(access: { opaque: string; record: AccessTokenRecord }, scope: string, refresh?: { token: string }): IssuedToken {
    return {
      accessToken: access.opaque,
      expiresIn: this.config.accessTokenTtlSeconds,
      scope,
      ...(refresh && { refreshToken: refresh.token }),
    };
  }

  /**
   * Redeems a verified authorization code: starts its grant and issues its tokens, atomically
   * with marking the code used. A code redeemed twice revokes what the first redemption issued.
   */
  async redeem(codeHash: string, consent: Consent): Promise<IssuedToken> {
    const now = this.now();
    const offline = consent.offlineAccess && this.config.refreshTokenTtlSeconds > 0;
    const grant: Grant = {
      id: randomUUID(),
      clientId: consent.clientId,
      subject: consent.subject,
      scope: consent.scope,
      resource: consent.resource,
      claims: this.#claims(consent.subject),
      createdAt: now,
      expiresAt: now + Math.max(this.config.accessTokenTtlSeconds, offline ? this.config.refreshTokenTtlSeconds : 0),
    };
    const access = await this.#mint(grant, grant.scope);
    const refresh = offline ? this.#newRefreshToken(grant) : undefined;
    const redeemed = await this.store.transaction(async (tx) => {
      const code = await tx.codes.get(codeHash, true);
      if (!code || code.grantId) {
        // Replayed while this redemption was signing.
        if (code?.grantId) await tx.grants.revoke(code.grantId);
        return false;
      }
      await tx.grants.insert(grant);
      await tx.accessTokens.insert(access.record);
      if (refresh) await tx.refreshTokens.insert(refresh.record);
      await tx.codes.markRedeemed(codeHash, grant.id);
      return true;
    });
    if (!redeemed) throw new OAuthError('invalid_grant', 'The code was used twice');
    return this.#issued(access, grant.scope, refresh);
  }

  /**
   * The refresh token grant: bound to its client and resource, never a wider scope, rotated on
   * every use. A used refresh token presented again means it leaked: its whole grant is revoked.
   */
  async refresh(client: AuthenticatedClient, refreshToken: string, request: { scope?: string; resource?: string }): Promise<IssuedToken> {
    const hash = tokenHash(refreshToken);
    const found = await this.store.refreshTokens.get(hash);
    if (!found || found.expiresAt <= this.now()) throw new OAuthError('invalid_grant', 'The refresh token is invalid or has expired');
    if (found.clientId !== client.id) throw new OAuthError('invalid_grant', 'The refresh token was issued to another client');
    if (found.usedAt !== undefined) {
      await this.store.grants.revoke(found.grantId);
      throw new OAuthError(
        'invalid_grant',
        'The refresh token was already used; as it may have leaked, every token of this sign-in is revoked. Sign in again',
      );
    }
    const grant = await this.store.grants.get(found.grantId);
    if (!grant) throw revokedGrant();
    if (request.resource !== undefined && request.resource !== grant.resource && `${request.resource}/` !== grant.resource) {
      throw new OAuthError('invalid_target', 'The resource differs from the one the refresh token was issued for');
    }
    const granted = grant.scope.split(' ');
    const requested = request.scope?.split(' ').filter((s) => s && s !== OFFLINE_ACCESS) ?? [];
    const wider = requested.filter((s) => !granted.includes(s));
    if (wider.length) throw new OAuthError('invalid_scope', `The requested scope exceeds the scope granted (${grant.scope})`);
    if (!this.#regions.has(grant.subject)) {
      await this.store.grants.revoke(grant.id);
      throw new OAuthError('invalid_grant', 'The user may no longer sign in');
    }
    const scope = requested.length ? requested.join(' ') : grant.scope;
    const access = await this.#mint(grant, scope);
    const next = this.#newRefreshToken(grant);
    const outcome = await this.store.transaction(async (tx) => {
      const current = await tx.refreshTokens.get(hash, true);
      if (!current) return 'revoked';
      if (current.usedAt !== undefined) {
        await tx.grants.revoke(current.grantId);
        return 'reused';
      }
      await tx.refreshTokens.markUsed(hash, this.now());
      await tx.accessTokens.insert(access.record);
      await tx.refreshTokens.insert(next.record);
      // A grant outlives its tokens: the sweep, removing an expired grant, never cuts a token short.
      await tx.grants.extend(grant.id, Math.max(next.record.expiresAt, access.record.expiresAt));
      return 'rotated';
    });
    if (outcome === 'revoked') throw revokedGrant();
    if (outcome === 'reused')
      throw new OAuthError('invalid_grant', 'The refresh token was used twice; every token of this sign-in is revoked');
    return this.#issued(access, scope, next);
  }

  /** The record behind an active opaque token. */
  async active(accessToken: string): Promise<AccessTokenRecord | undefined> {
    return this.store.accessTokens.get(tokenHash(accessToken), this.now());
  }

  /**
   * Revokes a token of `clientId` (RFC 7009 §2.1): an access token alone; a refresh token with
   * its whole grant, as the tokens issued from it stand on the same consent.
   */
  async revoke(token: string, clientId: string): Promise<void> {
    const hash = tokenHash(token);
    if (await this.store.accessTokens.delete(hash, clientId)) return;
    const refresh = await this.store.refreshTokens.get(hash);
    if (refresh?.clientId === clientId) await this.store.grants.revoke(refresh.grantId);
  }

  async exchange(subjectToken: string, request: { scope?: string; audience?: string }): Promise<IssuedToken> {
    if (request.audience !== undefined && request.audience !== this.config.apiAudience) {
      throw new OAuthError('invalid_target', `Tokens can only be exchanged for the audience ${this.config.apiAudience}`);
    }
    // The subject token must be an access token this server issued and still holds, byte for byte:
    // that proves it authentic (it is the server's own record; no signature needs checking) and
    // neither revoked nor expired, in one lookup.
    const now = this.now();
    const subject = unverifiedClaims(subjectToken);
    const stored = typeof subject?.jti === 'string' ? await this.store.accessTokens.jwtOf(subject.jti, now) : undefined;
    if (!subject || stored === undefined || !sameText(stored, subjectToken))
      throw new OAuthError(
        'invalid_grant',
        'The subject token is not an active access token from this issuer (revoked, expired or unknown)',
      );
    // Identical to the stored token: its claims are the ones this server signed.
    if (subject.aud !== this.config.mcpResource)
      throw new OAuthError('invalid_grant', `The subject token is not for the MCP server (${this.config.mcpResource})`);
    const granted = String(subject.scope).split(' ').filter(Boolean);
    const requested = request.scope?.split(' ').filter(Boolean) ?? granted;
    const wider = requested.filter((s) => !granted.includes(s));
    if (wider.length || requested.length === 0)
      throw new OAuthError('invalid_scope', `The requested scope exceeds the subject token's scope (${granted.join(' ')})`);
    const scope = requested.join(' ');

    const { jwt, exp } = await this.#apiToken(subject, scope, now);
    return { accessToken: jwt, expiresIn: exp - now, scope };
  }

  /**
   * The API-audience token for `subject` (the claims of an access token of this server) with
   * `scope`: same subject and claims, never a longer life, `act` naming the MCP server. Signed once
   * per subject token and scope, kept until shortly before it expires.
   */
  async #apiToken(subject: JWTPayload, scope: string, now: number): Promise<{ jwt: string; exp: number }> {
    const key = `${subject.jti} ${scope}`;
    const cached = this.#exchanged?.get(key);
    if (cached && cached.exp - now > 5) return cached;
    const exp = Math.min(subject.exp!, now + this.config.accessTokenTtlSeconds);
    const { iss, sub, client_id, region, client_type, client_assurance_level } = subject;
    const jwt = await this.keys.sign({
      iss,
      sub,
      aud: this.config.apiAudience,
      scope,
      exp,
      iat: now,
      nbf: now,
      jti: randomUUID(),
      client_id,
      region,
      client_type,
      client_assurance_level,
      act: { sub: this.config.clients.mcpServer.id },
    });
    this.#exchanged?.set(key, { jwt, exp }, { ttl: Math.max(1, exp - now - 5) * 1000 });
    return { jwt, exp };
  }
}
