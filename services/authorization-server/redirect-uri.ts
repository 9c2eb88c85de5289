/**
 * Redirect URIs: https, or http on a loopback host (RFC 8252 §7.3); matched exactly, except the
 * port of loopback URIs, which native apps choose at run time (RFC 8252 §7.3).
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Why a redirect URI cannot be registered, or undefined when it can. */
export function redirectUriProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2000) return 'must be a URL of at most 2000 characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${JSON.stringify(value)} is not an absolute URL`;
  }
  if (url.hash || value.includes('#')) return `${value} must not contain a fragment`;
  if (url.username || url.password) return `${value} must not contain user information`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return `${value} must use https, or http on a loopback host (127.0.0.1, [::1] or localhost)`;
}

/** Whether `requested` is one of `registered`: exact match, any port for loopback http URIs. */
export function redirectUriMatches(requested: string, registered: readonly string[]): boolean {
  if (registered.includes(requested)) return true;
  let req: URL;
  try {
    req = new URL(requested);
  } catch {
    return false;
  }
  if (req.protocol !== 'http:' || !isLoopbackHost(req.hostname)) return false;
  return registered.some((r) => {
    const reg = new URL(r);
    return (
      reg.protocol === 'http:' &&
      reg.hostname === req.hostname &&
      reg.pathname === req.pathname &&
      reg.search === req.search &&
      !req.hash &&
      !req.username &&
      !req.password
    );
  });
}
