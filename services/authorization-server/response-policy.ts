/**
 * What the server tells browsers and caches about its answers: the Content Security Policy of its
 * pages, and `Cache-Control: no-store` on everything that carries a sign-in, a code, a consent, a
 * token or a client's credentials, so that no shared or browser cache keeps them.
 */
import type { MiddlewareHandler } from 'hono';

/**
 * Pages load one stylesheet from here and nothing else; their forms post only here. The consent
 * form is the exception (see `consentPagePolicy`).
 */
export const PAGE_POLICY = {
  defaultSrc: ["'none'"],
  styleSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

function serialize(policy: Record<string, string[]>): string {
  return Object.entries(policy)
    .map(([name, values]) => `${name.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)} ${values.join(' ')}`)
    .join('; ');
}

/**
 * The consent form posts here, and the answer redirects to the client's redirect URI: browsers
 * apply `form-action` to that redirect too (Chromium does), so its origin is allowed as well.
 */
export function consentPagePolicy(redirectUri: string): string {
  const url = new URL(redirectUri);
  // A CSP host-source cannot name an IPv6 literal: its scheme is the narrowest expression left.
  const target = url.hostname.startsWith('[') ? url.protocol : url.origin;
  return serialize({ ...PAGE_POLICY, formAction: ["'self'", target] });
}

/** `Cache-Control: no-store` on answers that set none themselves. */
export function noStore(): MiddlewareHandler {
  return async function noStoreHandler(c, next) {
    await next();
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
  };
}
