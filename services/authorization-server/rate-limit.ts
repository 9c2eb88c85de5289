/**
 * Fixed-window request limits per client address, counted in the database so that every instance
 * shares them; expired windows are swept away.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { PageError } from './errors.ts';
import { TrustedProxies } from './trusted-proxies.ts';

/** Counts one request of `address` in the current window of `windowSeconds`. */
export type RequestCounter = (address: string, windowSeconds: number) => Promise<{ count: number; resetAt: number }>;

export interface RateLimitOptions {
  /** Requests allowed per window and address. */
  limit: number;
  windowSeconds: number;
  /** What the refusal says, e.g. "registrations". */
  what: string;
  /** How to answer when the limit is reached. */
  refuse: (c: Context, retryAfterSeconds: number, message: string) => Response | Promise<Response>;
  /**
   * The proxies whose X-Forwarded-For is believed (addresses, CIDR ranges, host names; see
   * trusted-proxies.ts); empty: the connection's own address always counts.
   */
  trustProxy: readonly string[];
  count: RequestCounter;
  /** Seconds since the epoch. */
  now: () => number;
}

// One matcher per configured list, shared by every limit of a server (host names resolved once).
const compiled = new WeakMap<readonly string[], TrustedProxies>();
function trustedProxies(list: readonly string[]): TrustedProxies {
  let trusted = compiled.get(list);
  if (!trusted) compiled.set(list, (trusted = new TrustedProxies(list)));
  return trusted;
}

/**
 * The address a request counts against: the connection's, or, when that is a trusted proxy, the
 * rightmost X-Forwarded-For entry that is not one. A client reaching the server directly cannot
 * choose it by sending X-Forwarded-For.
 */
export function clientAddress(c: Context, trusted: TrustedProxies | readonly string[]): string {
  let peer: string | undefined;
  try {
    peer = getConnInfo(c).remote.address;
  } catch {
    // Not served by @hono/node-server (e.g. app.request in tests): no address to go by.
  }
  // Without a connection there is no peer to trust: one shared bucket.
  if (!peer) return 'unknown';
  const matcher = trusted instanceof TrustedProxies ? trusted : trustedProxies(trusted);
  return matcher.clientAddress(peer, c.req.header('x-forwarded-for'));
}

export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  if (!(options.limit > 0 && options.windowSeconds > 0)) throw new Error('rateLimit: limit and windowSeconds must be positive');
  const trusted = trustedProxies(options.trustProxy);
  return async function rateLimitHandler(c, next) {
    const window = await options.count(clientAddress(c, trusted), options.windowSeconds);
    if (window.count > options.limit) {
      const retryAfter = Math.max(1, window.resetAt - options.now());
      const response = await options.refuse(
        c,
        retryAfter,
        `Too many ${options.what} from this address; try again in ${retryAfter} seconds`,
      );
      response.headers.set('Retry-After', String(retryAfter));
      return response;
    }
    await next();
  };
}

/** A per-minute limit on pages people use: the refusal is a page too. */
export function pageRateLimit(
  options: Pick<RateLimitOptions, 'what' | 'trustProxy' | 'count' | 'now'> & { perMinute: number },
): MiddlewareHandler {
  return rateLimit({
    ...options,
    limit: options.perMinute,
    windowSeconds: 60,
    refuse: (_c, retryAfter) => {
      throw new PageError(
        'rate_limited',
        `There were too many ${options.what} from your network. Wait ${retryAfter} seconds, then try again.`,
        429,
        {
          title: 'Slow down',
          headers: { 'Retry-After': String(retryAfter) },
        },
      );
    },
  });
}
