/**
 * DNS-rebinding protection for a server that browsers can reach (MCP Streamable HTTP): the `Host`
 * must be the public host, and an `Origin`, when present, one of the allowed origins. Behind a
 * gateway that preserves the public Host header this checks what the client asked for.
 */
import type { MiddlewareHandler } from 'hono';

export interface DnsRebindingOptions {
  /** The server's public origin, e.g. https://mcp.demo.example; its host is the only allowed Host. */
  publicOrigin: string;
  /** Further origins allowed to call (browser-based tools); the public origin always is. */
  allowedOrigins?: string[];
}

export function dnsRebindingProtection(options: DnsRebindingOptions): MiddlewareHandler {
  const publicOrigin = new URL(options.publicOrigin);
  if (publicOrigin.origin !== options.publicOrigin.replace(/\/$/, '')) {
    throw new TypeError(`publicOrigin must be an origin (scheme, host, optional port), not ${options.publicOrigin}`);
  }
  const host = publicOrigin.host; // lower-cased, default port omitted
  const origins = new Set([publicOrigin.origin, ...(options.allowedOrigins ?? []).map((o) => new URL(o).origin)]);

  return async function dnsRebindingMiddleware(c, next) {
    const requestHost = c.req.header('host')?.toLowerCase();
    if (requestHost !== host && requestHost !== defaultPortForm(publicOrigin)) {
      return forbidden(c, `Requests must be addressed to ${host}.`);
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && !origins.has(origin)) {
      return forbidden(c, 'Requests from this origin are not allowed.');
    }
    await next();
  };
}

// Some clients send the default port explicitly (example.com:443).
function defaultPortForm(url: URL): string | undefined {
  if (url.port) return undefined;
  return `${url.hostname}:${url.protocol === 'https:' ? 443 : 80}`;
}

function forbidden(c: Parameters<MiddlewareHandler>[0], description: string): Response {
  c.header('cache-control', 'no-store');
  return c.json({ error: 'forbidden', error_description: description }, 403);
}
