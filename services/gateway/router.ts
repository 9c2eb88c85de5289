/**
 * Kong's router for the subset we generate (hosts, path prefixes, methods), with the priority of
 * Kong 3.x's `traditional_compatible` router: more matching fields first, then routes whose hosts
 * have no wildcard, then the longest path prefix; ties keep the order of the file.
 */
import type { KongConfig, KongPlugin, KongRoute, KongService } from './config.ts';

export interface Upstream {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
  /** The Host header Kong sends when `preserve_host` is false: host, and port if not the default. */
  hostHeader: string;
  /** The service's path, "/" when the URL has none. */
  basePath: string;
}

export interface CompiledRoute {
  route: KongRoute;
  service: KongService;
  upstream: Upstream;
  /** Plugins in effect: the service's enabled ones, overridden by name by the route's enabled ones. */
  plugins: KongPlugin[];
}

export interface RouteMatch {
  compiled: CompiledRoute;
  /** The path prefix that matched ("/" when the route has no paths). */
  prefix: string;
}

interface Candidate {
  compiled: CompiledRoute;
  path: string | undefined;
  priority: [number, number, number];
}

type HostMatcher = (host: string) => boolean;

export class Router {
  readonly #candidates: { candidate: Candidate; hosts: HostMatcher[] }[];

  constructor(config: KongConfig) {
    const list: { candidate: Candidate; hosts: HostMatcher[] }[] = [];
    for (const service of config.services) {
      const upstream = parseUpstream(service.url);
      for (const route of service.routes) {
        const compiled: CompiledRoute = { route, service, upstream, plugins: effectivePlugins(service, route) };
        const hosts = (route.hosts ?? []).map(hostMatcher);
        const plainHostsOnly = route.hosts?.length ? route.hosts.every((h) => !h.includes('*')) : false;
        const weight = [route.methods, route.hosts, route.paths].filter((f) => f?.length).length;
        // Kong splits a route by path so that each prefix length ranks on its own.
        for (const path of route.paths?.length ? route.paths : [undefined]) {
          list.push({ candidate: { compiled, path, priority: [weight, plainHostsOnly ? 1 : 0, path?.length ?? 0] }, hosts });
        }
      }
    }
    // Array.prototype.sort is stable: equal priorities keep the file's order.
    this.#candidates = list.sort((a, b) => compare(b.candidate.priority, a.candidate.priority));
  }

  /** `host` is the request's host name (any port is ignored, as Kong does); `path` is normalized (`normalizePath`). */
  match(method: string, host: string, path: string): RouteMatch | undefined {
    const h = normalizeHost(host);
    for (const { candidate, hosts } of this.#candidates) {
      const { route } = candidate.compiled;
      if (route.methods?.length && !route.methods.includes(method)) continue;
      if (hosts.length && !hosts.some((m) => m(h))) continue;
      if (candidate.path !== undefined && !path.startsWith(candidate.path)) continue;
      return { compiled: candidate.compiled, prefix: candidate.path ?? '/' };
    }
    return undefined;
  }
}

/**
 * The path sent upstream, as Kong's `path_handling: v0` builds it from the service's path, the
 * request path and, with `strip_path`, what remains after the matched prefix.
 */
export function upstreamPath(basePath: string, requestPath: string, prefix: string, stripPath: boolean): string {
  if (basePath.endsWith('/')) {
    if (!stripPath) return basePath + requestPath.slice(1);
    const rest = requestPath.slice(prefix.length);
    if (rest === '') {
      if (basePath === '/') return '/';
      return requestPath.endsWith('/') ? basePath : basePath.slice(0, -1);
    }
    return rest.startsWith('/') ? basePath.slice(0, -1) + rest : basePath + rest;
  }
  if (!stripPath) return requestPath === '/' ? basePath : basePath + requestPath;
  const rest = requestPath.slice(prefix.length);
  if (rest === '') return requestPath.length > 1 && requestPath.endsWith('/') ? `${basePath}/` : basePath;
  return rest.startsWith('/') ? basePath + rest : `${basePath}/${rest}`;
}

/**
 * The path as Kong routes on it: percent-encoded unreserved characters decoded and other escapes
 * in upper case (RFC 3986 §6.2.2). Dot segments are already resolved by URL parsing.
 */
export function normalizePath(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(ch) ? ch : escape.toUpperCase();
  });
}

/** Lower-cased host name without port or trailing dot, as Kong routes on `$host`. */
export function normalizeHost(hostHeader: string): string {
  let host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) host = host.slice(0, host.indexOf(']') + 1);
  else if (host.includes(':')) host = host.slice(0, host.indexOf(':'));
  return host.length > 1 && host.endsWith('.') ? host.slice(0, -1) : host;
}

function hostMatcher(pattern: string): HostMatcher {
  if (pattern.startsWith('*')) {
    const suffix = pattern.slice(1);
    return (h) => h.endsWith(suffix);
  }
  if (pattern.endsWith('*')) {
    const start = pattern.slice(0, -1);
    return (h) => h.startsWith(start);
  }
  return (h) => h === pattern;
}

// Kong loads enabled plugins only, so a disabled one on the route leaves the service's in force.
function effectivePlugins(service: KongService, route: KongRoute): KongPlugin[] {
  const byName = new Map<string, KongPlugin>();
  for (const p of [...service.plugins, ...route.plugins]) if (p.enabled) byName.set(p.name, p);
  return [...byName.values()];
}

function parseUpstream(url: string): Upstream {
  const u = new URL(url);
  const protocol = u.protocol as Upstream['protocol'];
  const port = u.port ? Number(u.port) : protocol === 'https:' ? 443 : 80;
  return { protocol, hostname: u.hostname, port, hostHeader: u.host, basePath: u.pathname || '/' };
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}
