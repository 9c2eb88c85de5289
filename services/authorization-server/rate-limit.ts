/**
 * Fixed-window request limits per client address, in a bounded map: a flood from many addresses
 * evicts old counters instead of growing memory.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { LRUCache } from 'lru-cache';
import { PageError } from './errors.ts';

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
  maxAddresses?: number;
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
  const windows = new LRUCache<string, { count: number; resetAt: number }>({ max: options.maxAddresses ?? 10_000 });
  return async function rateLimitHandler(c, next) {
    const address = clientAddress(c, options.trustProxy);
    const now = Date.now();
    let window = windows.get(address);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + options.windowSeconds * 1000 };
      windows.set(address, window);
    }
    window.count += 1;
    if (window.count > options.limit) {
      const retryAfter = Math.ceil((window.resetAt - now) / 1000);
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
export function pageRateLimit(options: { perMinute: number; what: string; trustProxy: boolean }): MiddlewareHandler {
  return rateLimit({
    limit: options.perMinute,
    windowSeconds: 60,
    what: options.what,
    trustProxy: options.trustProxy,
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
