/**
 * Kong's `cors` plugin: answers preflights itself (unless `preflight_continue`), and sets the CORS
 * response headers on every other response of the route, including refusals by later plugins.
 */
import type { PluginConfig } from '../config.ts';
import type { Plugin } from '../pipeline.ts';

type CorsConfig = PluginConfig<'cors'>;

interface NormalizedOrigin {
  domain: string;
  host: string;
}

type OriginEntry = { kind: 'any' } | { kind: 'exact'; domain: string } | { kind: 'regex'; regex: RegExp; byHost: boolean };

const LITERAL = /^[A-Za-z0-9.:/-]+$/;

export function cors(conf: CorsConfig): Plugin {
  const origins = conf.origins ?? [];
  const allowAll = origins.length === 0 || (origins.length === 1 && origins[0] === '*');
  // One literal origin is sent as it is, whatever the request's Origin (as Kong does).
  const single = origins.length === 1 && LITERAL.test(origins[0]!) ? origins[0]! : undefined;
  const entries = origins.map(toEntry);
  const methods = conf.methods.join(',');

  /** Sets Access-Control-Allow-Origin; returns true when it is "*". */
  function configureOrigin(headers: Headers, requestOrigin: string | null): boolean {
    if (allowAll) {
      headers.set('access-control-allow-origin', '*');
      return true;
    }
    headers.append('vary', 'Origin');
    if (single !== undefined) {
      headers.set('access-control-allow-origin', single);
      return false;
    }
    if (requestOrigin !== null) {
      const req = normalizeOrigin(requestOrigin);
      for (const entry of entries) {
        if (entry.kind === 'any') {
          headers.set('access-control-allow-origin', '*');
          return true;
        }
        const found = entry.kind === 'exact' ? entry.domain === req.domain : entry.regex.test(entry.byHost ? req.host : req.domain);
        if (found) {
          headers.set('access-control-allow-origin', req.domain);
          return false;
        }
      }
    }
    headers.delete('access-control-allow-origin');
    return false;
  }

  function configureCredentials(headers: Headers, wildcard: boolean, requestOrigin: string | null): void {
    if (!conf.credentials) return;
    if (!wildcard) {
      headers.set('access-control-allow-credentials', 'true');
      return;
    }
    // "*" may not go with credentials: echo the request's origin instead.
    if (requestOrigin !== null) {
      headers.append('vary', 'Origin');
      headers.set('access-control-allow-origin', requestOrigin);
      headers.set('access-control-allow-credentials', 'true');
    }
  }

  return async function corsPlugin(req, next) {
    const client = req.client.headers;
    const origin = client.get('origin');
    const isPreflight = req.client.method === 'OPTIONS' && origin !== null && client.has('access-control-request-method');
    if (isPreflight) {
      if (conf.preflight_continue) return next(req);
      const headers = new Headers();
      configureCredentials(headers, configureOrigin(headers, origin), origin);
      const requested = client.get('access-control-request-headers');
      if (conf.headers?.length) headers.set('access-control-allow-headers', conf.headers.join(','));
      else if (requested !== null) headers.set('access-control-allow-headers', requested);
      headers.set('access-control-allow-methods', methods);
      if (conf.max_age !== undefined) headers.set('access-control-max-age', String(conf.max_age));
      if (conf.private_network && client.get('access-control-request-private-network') === 'true') {
        headers.set('access-control-allow-private-network', 'true');
      }
      return new Response(null, { status: 200, headers });
    }

    const res = await next(req);
    configureCredentials(res.headers, configureOrigin(res.headers, origin), origin);
    if (conf.exposed_headers?.length) res.headers.set('access-control-expose-headers', conf.exposed_headers.join(','));
    return res;
  };
}

function toEntry(entry: string): OriginEntry {
  if (entry === '*') return { kind: 'any' };
  if (LITERAL.test(entry)) return { kind: 'exact', domain: normalizeOrigin(entry).domain };
  // Kong anchors regular expressions at both ends and matches the host alone when no port or scheme is written.
  let source = entry.endsWith('$') ? entry : `${entry}$`;
  if (source.startsWith('^')) source = source.slice(1);
  return { kind: 'regex', regex: new RegExp(`^(?:${source})`), byHost: !entry.includes(':') };
}

function normalizeOrigin(origin: string): NormalizedOrigin {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/:?#]+)(?::(\d+))?/.exec(origin);
  if (!m) return { domain: origin, host: origin };
  const [, scheme, host, port] = m as unknown as [string, string, string, string | undefined];
  const defaultPort = (scheme === 'http' && port === '80') || (scheme === 'https' && port === '443');
  return { domain: `${scheme}://${host}${port && !defaultPort ? `:${port}` : ''}`, host };
}
