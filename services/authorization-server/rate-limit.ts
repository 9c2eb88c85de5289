/**
 * Fixed-window request limits per client address, counted in the database so that every instance
 * shares them; expired windows are swept away.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { PageError } from './errors.ts';

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
  /** Takes the address from the last X-Forwarded-For entry, which the trusted gateway appended. */
  trustProxy: boolean;
  count: RequestCounter;
  /** Seconds since the epoch. */
  now: () => number;
}

export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // Not served by @hono/node-server (e.g. app.request in tests): one shared bucket.
    return 'unknown';
  }
}

export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  if (!(options.limit > 0 && options.windowSeconds > 0)) throw new Error('rateLimit: limit and windowSeconds must be positive');
  return async function rateLimitHandler(c, next) {
    const window = await options.count(clientAddress(c, options.trustProxy), options.windowSeconds);
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
