/**
 * The development gateway: a Hono app that proxies as Kong 3.x does for the declarative
 * configuration we generate. Per request: cap the body, match a route, check its protocols, set
 * X-Forwarded-*, then run the route's plugins in Kong's priority order (cors 2000, phantom-token
 * 1000, request-transformer 801) in front of the upstream call.
 */
import type http from 'node:http';
import { Hono } from 'hono';
import type { KongConfig, KongPlugin } from './config.ts';
import { endToEndHeaders } from './http-headers.ts';
import { IntrospectionAgents } from './introspection.ts';
import { KONG_MESSAGES, kongError } from './kong-errors.ts';
import { chain, type Handler, type Plugin, type ProxyRequest } from './pipeline.ts';
import { cors } from './plugins/cors.ts';
import { phantomToken } from './plugins/phantom-token.ts';
import { requestTransformer } from './plugins/request-transformer.ts';
import { createAgent, deliver, forward } from './proxy.ts';
import { normalizeHost, normalizePath, Router, upstreamPath, type CompiledRoute } from './router.ts';
import { PhantomTokenCache } from './token-cache.ts';

export interface GatewayOptions {
  /** Route as if every request named this host; the request's own Host is still what `preserve_host` forwards. */
  virtualHost?: string;
  /** The scheme clients use to reach this listener (X-Forwarded-Proto, route `protocols`). Default "http". */
  scheme?: 'http' | 'https';
  /** Largest request body accepted (413 beyond). Default 10 MiB. */
  maxBodyBytes?: number;
  /** Largest body request-transformer reads into memory to rewrite (413 beyond). Default 1 MiB. */
  maxTransformBodyBytes?: number;
  /** Time-out of one introspection call. Default 10 s. */
  introspectionTimeoutMs?: number;
  /** Most tokens the phantom-token cache holds. Default 10,000. Ignored when `tokenCache` is given. */
  tokenCacheEntries?: number;
  /** A cache to share between listeners, as Kong shares one cache between all its routes. */
  tokenCache?: PhantomTokenCache;
  /** Where operational events go (never tokens). Default: JSON lines on stderr. */
  log?: (event: Record<string, unknown>) => void;
}

export interface Gateway {
  app: Hono<GatewayEnv>;
  tokenCache: PhantomTokenCache;
  /** Closes kept-alive connections to upstreams and introspection endpoints. */
  close(): Promise<void>;
}

// An unexpected error's message may quote a header value: keep credentials out of the log.
const redact = (text: string) =>
  text.replace(/\b(bearer|basic)\s+[^\s"',]+/gi, '$1 [redacted]').replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '[jwt]');

const PRIORITY: Record<KongPlugin['name'], number> = { cors: 2000, 'phantom-token': 1000, 'request-transformer': 801 };

/** What @hono/node-server passes as `c.env`: the client's socket gives X-Forwarded-For and -Port. */
export type GatewayEnv = { Bindings: { incoming?: http.IncomingMessage; outgoing?: http.ServerResponse } };

export function createGateway(config: KongConfig, options: GatewayOptions = {}): Gateway {
  const scheme = options.scheme ?? 'http';
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const maxTransformBodyBytes = Math.min(options.maxTransformBodyBytes ?? 1024 * 1024, maxBodyBytes);
  const log = options.log ?? ((event) => process.stderr.write(`${JSON.stringify({ component: 'gateway', ...event })}\n`));
  const tokenCache = options.tokenCache ?? new PhantomTokenCache({ maxEntries: options.tokenCacheEntries });
  const introspectionAgents = new IntrospectionAgents();
  const router = new Router(config);

  const agents = new Map<string, http.Agent>();
  const handlers = new Map<CompiledRoute, Handler>();
  const handlerFor = (compiled: CompiledRoute): Handler => {
    let handler = handlers.get(compiled);
    if (!handler) {
      let agent = agents.get(compiled.service.name);
      if (!agent) agents.set(compiled.service.name, (agent = createAgent(compiled.upstream)));
      const target = { upstream: compiled.upstream, service: compiled.service, agent };
      const plugins = [...compiled.plugins].sort((a, b) => PRIORITY[b.name] - PRIORITY[a.name]).map(instantiate);
      handler = chain(plugins, (req) => forward(req, target, maxBodyBytes, log));
      handlers.set(compiled, handler);
    }
    return handler;
  };

  function instantiate(plugin: KongPlugin): Plugin {
    switch (plugin.name) {
      case 'cors':
        return cors(plugin.config);
      case 'phantom-token':
        return phantomToken(plugin.config, {
          cache: tokenCache,
          agents: introspectionAgents,
          timeoutMs: options.introspectionTimeoutMs ?? 10_000,
          log,
        });
      case 'request-transformer':
        return requestTransformer(plugin.config, { maxBodyBytes: maxTransformBodyBytes });
    }
  }

  const app = new Hono<GatewayEnv>();
  app.all('*', async (c) => {
    const client = c.req.raw;
    const declared = Number(client.headers.get('content-length') ?? 0);
    if (declared > maxBodyBytes) return kongError(413, KONG_MESSAGES.payloadTooLarge);

    const url = new URL(client.url);
    const path = normalizePath(url.pathname);
    const hostHeader = client.headers.get('host') ?? url.host;
    const match = router.match(client.method, options.virtualHost ?? hostHeader, path);
    if (!match) return kongError(404, KONG_MESSAGES.noRoute);
    const { route, upstream } = match.compiled;
    if (!route.protocols.includes(scheme)) {
      return kongError(426, KONG_MESSAGES.useHttps, { connection: 'Upgrade', upgrade: 'TLS/1.2, HTTP/1.1' });
    }

    const incoming = c.env?.incoming;
    const socket = incoming?.socket;
    const headers = endToEndHeaders(client.headers);
    headers.delete('host');
    const remote = socket?.remoteAddress ?? '127.0.0.1';
    const xff = client.headers.get('x-forwarded-for');
    // Kong trusts no proxy by default: it appends the peer to X-Forwarded-For and sets the others itself.
    headers.set('x-forwarded-for', xff ? `${xff}, ${remote}` : remote);
    headers.set('x-forwarded-proto', scheme);
    headers.set('x-forwarded-host', normalizeHost(hostHeader));
    headers.set('x-forwarded-port', String(socket?.localPort ?? (url.port || (scheme === 'https' ? 443 : 80))));
    headers.set('x-forwarded-path', url.pathname);
    if (match.prefix !== '/') headers.set('x-forwarded-prefix', match.prefix);
    else headers.delete('x-forwarded-prefix');

    const req: ProxyRequest = {
      method: client.method,
      path: upstreamPath(upstream.basePath, path, match.prefix, route.strip_path),
      search: url.search,
      headers,
      // HTTP/1.1: a request has a body exactly when it declares a length or a transfer coding.
      body: client.headers.has('content-length') || client.headers.has('transfer-encoding') ? (incoming ?? client.body) : null,
      host: route.preserve_host ? hostHeader : upstream.hostHeader,
      client,
    };
    try {
      return deliver(await handlerFor(match.compiled)(req), c.env?.outgoing);
    } catch (e) {
      log({ event: 'gateway_error', route: route.name, error: redact(String((e as Error).message)) });
      return kongError(500, KONG_MESSAGES.unexpected);
    }
  });

  return {
    app,
    tokenCache,
    async close() {
      for (const agent of agents.values()) agent.destroy();
      introspectionAgents.destroy();
    },
  };
}
