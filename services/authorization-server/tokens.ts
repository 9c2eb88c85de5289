/**
 * Access tokens. Agents receive an opaque random value (256 bits); behind it sits a PS256 JWT
 * for the MCP server, signed once at issuance, so introspection is a lookup. Token exchange
 * (RFC 8693) turns an MCP-audience JWT into an API-audience one: same subject and claims, never a
 * wider scope or a longer life, with `act` naming the MCP server. Exchanged tokens are cached per
 * subject token and scope until shortly before they expire, as every cold tool call asks for one.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AuthorizationServerConfig } from './config.ts';
import { OAuthError } from './errors.ts';
import type { SigningKeys } from './keys.ts';
import type { AccessTokenRecord, AuthorizationServerStore } from './store.ts';

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export class Tokens {
  readonly #regions: Map<string, string>;
  readonly #exchanged = new LRUCache<string, { jwt: string; exp: number; scope: string }>({ max: 10_000 });

  constructor(
    private readonly config: AuthorizationServerConfig,
    private readonly keys: SigningKeys,
    private readonly store: AuthorizationServerStore,
    private readonly now: () => number,
  ) {
    this.#regions = new Map(config.users.map((u) => [u.email, u.region]));
  }

  /** Issues the opaque token `accessToken` (chosen by the caller, so a code can record it first). */
  async issue(accessToken: string, grant: { clientId: string; subject: string; scope: string }): Promise<IssuedToken> {
    const region = this.#regions.get(grant.subject);
    if (region === undefined) throw new OAuthError('invalid_grant', 'The user may no longer sign in');
    const iat = this.now();
    const exp = iat + this.config.accessTokenTtlSeconds;
    const jti = randomUUID();
    const jwt = await this.keys.sign({
      iss: this.config.issuer,
      sub: grant.subject,
      aud: this.config.mcpResource,
      scope: grant.scope,
      exp,
      iat,
      nbf: iat,
      jti,
      client_id: grant.clientId,
      region,
      client_type: this.config.clientType,
      client_assurance_level: this.config.clientAssuranceLevel,
    });
    const record: AccessTokenRecord = { jwt, jti, clientId: grant.clientId, subject: grant.subject, scope: grant.scope, expiresAt: exp };
    const ttl = this.config.accessTokenTtlSeconds;
    await this.store.accessTokens.set(accessToken, record, ttl);
    await this.store.activeTokenIds.set(jti, accessToken, ttl);
    return { accessToken, expiresIn: ttl, scope: grant.scope };
  }

  /** The record behind an active opaque token. */
  async active(accessToken: string): Promise<AccessTokenRecord | undefined> {
    const record = await this.store.accessTokens.get(accessToken);
    return record && record.expiresAt > this.now() ? record : undefined;
  }

  /** Revokes an opaque token; only its own client may (RFC 7009 §2.1). */
  async revoke(accessToken: string, clientId?: string): Promise<void> {
    const record = await this.store.accessTokens.get(accessToken);
    if (!record || (clientId !== undefined && record.clientId !== clientId)) return;
    await this.store.accessTokens.delete(accessToken);
    await this.store.activeTokenIds.delete(record.jti);
  }

  async exchange(subjectToken: string, request: { scope?: string; audience?: string }): Promise<IssuedToken> {
    if (request.audience !== undefined && request.audience !== this.config.apiAudience) {
      throw new OAuthError('invalid_target', `Tokens can only be exchanged for the audience ${this.config.apiAudience}`);
    }
    let subject;
    try {
      subject = await this.keys.verify(subjectToken, { issuer: this.config.issuer, audience: this.config.mcpResource });
    } catch {
      throw new OAuthError('invalid_grant', 'The subject token is not a valid access token for the MCP server from this issuer');
    }
    const jti = subject.jti!;
    // Revoked tokens cannot be exchanged, even though their signature is still valid.
    if (!(await this.store.activeTokenIds.get(jti)))
      throw new OAuthError('invalid_grant', 'The subject token has been revoked or has expired');
    const granted = String(subject.scope).split(' ').filter(Boolean);
    const requested = request.scope?.split(' ').filter(Boolean) ?? granted;
    const wider = requested.filter((s) => !granted.includes(s));
    if (wider.length || requested.length === 0)
      throw new OAuthError('invalid_scope', `The requested scope exceeds the subject token's scope (${granted.join(' ')})`);
    const scope = requested.join(' ');

    const now = this.now();
    const key = `${jti} ${scope}`;
    const cached = this.#exchanged.get(key);
    if (cached && cached.exp - now > 5) return { accessToken: cached.jwt, expiresIn: cached.exp - now, scope };

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
    this.#exchanged.set(key, { jwt, exp, scope }, { ttl: Math.max(1, exp - now - 5) * 1000 });
    return { accessToken: jwt, expiresIn: exp - now, scope };
  }
}
