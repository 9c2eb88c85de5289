/**
 * RFC 8693 token exchange: the MCP server trades the token it received (audience: the MCP
 * resource) for one whose audience is the API, authenticating as its own confidential client. The
 * received token is never sent to the API.
 *
 * Exchanged tokens are cached per subject token, keyed by its SHA-256 (never the raw token),
 * bounded in number and dropped before they expire; concurrent misses for one subject token share
 * one exchange; failures are not cached.
 */
import { LRUCache } from 'lru-cache';
import { Pool } from 'undici';
import { z } from 'zod';
import { basicAuthorization, GRANT_TYPE, LRU_CLOCK_EVERY_TIME, TOKEN_TYPE, tokenHash } from '@mcp-secured-api/contracts';
import type { AccessTokenClaims } from '@mcp-secured-api/security';

/** Who the MCP server acts for: the verified token it received and its claims. */
export interface Subject {
  token: string;
  claims: AccessTokenClaims;
}

/** Gives the token to call the API with on behalf of a subject. */
export interface ApiTokenProvider {
  /** The token for the API's `Authorization` header, or undefined to send none. */
  tokenFor(subject: Subject): Promise<string | undefined>;
  /** The API refused the token: do not hand it out again. */
  invalidate?(subject: Subject): void;
  /**
   * A tool call is coming: start getting its token now, so that a first call's exchange runs
   * while the request is still being read and dispatched. The call itself gets the result.
   */
  prefetch?(subject: Subject): void;
}

export interface TokenExchangeOptions {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  /** The API's audience. */
  audience: string;
  /** Time-out of one exchange, in milliseconds. Default: 5000. */
  timeoutMs?: number;
  /**
   * Most exchanged tokens kept. 0 turns caching (and the sharing of concurrent exchanges) off.
   * Default: 10,000 (as many as the gateway's phantom-token cache holds).
   */
  cacheMaxEntries?: number;
  /** A cached token is no longer used this many seconds before it expires. Default: 30. */
  expiryMarginSeconds?: number;
}

export type TokenExchangeErrorCode =
  'ERR_EXCHANGE_TIMEOUT' | 'ERR_EXCHANGE_UNREACHABLE' | 'ERR_EXCHANGE_REFUSED' | 'ERR_EXCHANGE_FAILED' | 'ERR_EXCHANGE_RESPONSE';

/** The exchange did not produce a token; the message tells an agent what to do. */
export class TokenExchangeError extends Error {
  override name = 'TokenExchangeError';
  constructor(
    readonly code: TokenExchangeErrorCode,
    message: string,
    readonly details: { status?: number; oauthError?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
  }
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().refine((t) => t.toLowerCase() === 'bearer', { message: 'must be Bearer' }),
  expires_in: z.number().positive().optional(),
});
const errorResponse = z.object({ error: z.string() }).partial();

export function createTokenExchanger(
  options: TokenExchangeOptions,
): Required<Omit<ApiTokenProvider, 'prefetch'>> & Pick<ApiTokenProvider, 'prefetch'> {
  const endpoint = new URL(options.tokenEndpoint);
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxEntries = options.cacheMaxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 0)
    throw new TypeError('cacheMaxEntries must be a whole number, 0 to disable the cache');
  const marginMs = (options.expiryMarginSeconds ?? 30) * 1000;
  const authorization = basicAuthorization(options.clientId, options.clientSecret);
  const seconds = Math.round(timeoutMs / 100) / 10;
  // Kept-alive connections; no redirect is followed (the subject token would go along).
  const pool = new Pool(endpoint.origin, { connect: { timeout: timeoutMs }, maxResponseSize: 256 * 1024 });

  async function exchange(subjectToken: string): Promise<{ token: string; expiresInMs?: number }> {
    const body = new URLSearchParams({
      grant_type: GRANT_TYPE.tokenExchange,
      subject_token: subjectToken,
      subject_token_type: TOKEN_TYPE.accessToken,
      requested_token_type: TOKEN_TYPE.accessToken,
      audience: options.audience,
    });
    let status: number;
    let json: unknown;
    try {
      const response = await pool.request({
        method: 'POST',
        path: endpoint.pathname + endpoint.search,
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body.toString(),
        // A timer per exchange, exact to the millisecond (undici's own time-outs tick once a second).
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.statusCode;
      json = await response.body.json().catch(() => undefined);
    } catch (cause) {
      const { name, code } = cause as { name?: string; code?: string };
      if (name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw new TokenExchangeError(
          'ERR_EXCHANGE_TIMEOUT',
          `The authorization server did not answer the token exchange within ${seconds} s; try again in a moment.`,
          { cause },
        );
      }
      throw new TokenExchangeError(
        'ERR_EXCHANGE_UNREACHABLE',
        'The authorization server cannot be reached for the token exchange; try again later.',
        { cause },
      );
    }
    if (status !== 200) {
      const oauthError = errorResponse.safeParse(json).data?.error;
      if (status === 400 || status === 401 || status === 403) {
        throw new TokenExchangeError(
          'ERR_EXCHANGE_REFUSED',
          `The authorization server refused the token exchange (${oauthError ?? status}); sign in again to get a new access token.`,
          { status, oauthError },
        );
      }
      throw new TokenExchangeError(
        'ERR_EXCHANGE_FAILED',
        `The authorization server failed the token exchange (HTTP ${status}); try again later.`,
        {
          status,
          oauthError,
        },
      );
    }
    const parsed = tokenResponse.safeParse(json);
    if (!parsed.success) {
      throw new TokenExchangeError(
        'ERR_EXCHANGE_RESPONSE',
        'The authorization server answered the token exchange with an unusable response; try again later.',
      );
    }
    return { token: parsed.data.access_token, expiresInMs: parsed.data.expires_in && parsed.data.expires_in * 1000 };
  }

  if (maxEntries === 0) {
    return {
      tokenFor: async (subject) => (await exchange(subject.token)).token,
      invalidate: () => {},
    };
  }

  // `fetch` makes concurrent misses for one subject token share one exchange, and caches only
  // successes; each entry lives until the exchanged or the subject token expires, less the margin.
  const cache = new LRUCache<string, string, Subject>({
    max: maxEntries,
    ttlResolution: LRU_CLOCK_EVERY_TIME,
    fetchMethod: async (_key, _stale, { options: entry, context: subject }) => {
      const { token, expiresInMs } = await exchange(subject.token);
      const now = Date.now();
      const expiresAt = Math.min(now + (expiresInMs ?? Infinity), subject.claims.exp * 1000) - marginMs;
      // Within the margin already (a lifetime shorter than the margin): for the callers waiting now only.
      entry.ttl = Math.max(1, expiresAt - now);
      return token;
    },
  });

  const cacheable = (subject: Subject) => subject.claims.exp * 1000 - marginMs > Date.now();
  // A token's key is hashed once, not on each of its calls: the verifier hands out one claims
  // object per token it remembers, so the key is kept with that object, next to the token it
  // was hashed from (compared, so that a claims object shared by two tokens cannot mix them up).
  const keys = new WeakMap<Subject['claims'], { token: string; key: string }>();
  const keyOf = ({ token, claims }: Subject) => {
    const known = keys.get(claims);
    if (known?.token === token) return known.key;
    const key = tokenHash(token);
    keys.set(claims, { token, key });
    return key;
  };
  return {
    async tokenFor(subject) {
      // A subject token within the margin of its expiry gets an exchange of its own, never cached.
      if (!cacheable(subject)) return (await exchange(subject.token)).token;
      const key = keyOf(subject);
      // A hit needs none of fetch's bookkeeping; a miss, or an exchange under way, goes through it.
      return cache.get(key) ?? cache.fetch(key, { context: subject });
    },
    prefetch(subject) {
      // Only a miss needs starting early (a token cached already is the common case); shared with
      // the tool call's own tokenFor (one exchange in flight per token), which reports any failure.
      if (!cacheable(subject)) return;
      const key = keyOf(subject);
      if (!cache.has(key)) cache.fetch(key, { context: subject }).catch(() => {});
    },
    invalidate(subject) {
      // Only a token already handed out: an exchange under way brings a new one.
      const key = keyOf(subject);
      if (cache.has(key)) cache.delete(key);
    },
  };
}
