/**
 * The development gateway: a Hono app that proxies as Kong 3.x does for the declarative
 * configuration we generate. Per request: cap the body, match a route, check its protocols, set
 * X-Forwarded-*, then run the route's plugins in Kong's priority order (cors 2000, phantom-token
 * 1000, request-transformer 801, response-transformer 800) in front of the upstream call.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { Hono } from 'hono';
import type { KongConfig, KongPlugin } from './config.ts';
import { endToEndHeaders } from './http-headers.ts';
import { IntrospectionAgents } from './introspection.ts';
import { KONG_MESSAGES, kongError } from './kong-errors.ts';
import { chain, type Handler, type Plugin, type ProxyRequest } from './pipeline.ts';
import { cors } from './plugins/cors.ts';
import { phantomToken } from './plugins/phantom-token.ts';
import { requestTransformer } from './plugins/request-transformer.ts';
import { responseTransformer } from './plugins/response-transformer.ts';
import { createAgent, deliver, forward, type UpstreamTarget } from './proxy.ts';
import { normalizeHost, normalizePath, Router, upstreamPath, type CompiledRoute } from './router.ts';
import { PhantomTokenCache } from './token-cache.ts';
import { finishUpgrade, isWebSocketUpgrade, upgradeUpstream, writeResponse } from './upgrade.ts';

export interface GatewayOptions {
  /**
   * Route as if every request named this host; the request's own Host is still what `preserve_host`
   * forwards. Such a listener stands for one public host on one local port, so it answers only a
   * Host that names it: the virtual host itself, or a loopback name with the listener's port (as the
   * local stack's origins, http://localhost:<port>, do). Any other Host, such as a web page's own
   * domain rebound to this machine, gets Kong's 404 for a host no route serves.
   */
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
  /**
   * The address the gateway connects to services from: its own, so that a service can tell the
   * gateway (whose X-Forwarded-For it believes) from other local processes. Default: the system's choice.
   */
  sourceAddress?: string;
  /** Where operational events go (never tokens). Default: JSON lines on stderr. */
  log?: (event: Record<string, unknown>) => void;
}

export interface Gateway {
  app: Hono<GatewayEnv>;
  /** Handles the HTTP server's `upgrade` event (WebSocket through the route's plugins, as Kong). */
  upgrade(incoming: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  tokenCache: PhantomTokenCache;
  /** Closes kept-alive connections to upstreams and introspection endpoints. */
  close(): Promise<void>;
}

// An unexpected error's message may quote a header value: keep credentials out of the log.
const redact = (text: string) =>
  text.replace(/\b(bearer|basic)\s+[^\s"',]+/gi, '$1 [redacted]').replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '[jwt]');

const PRIORITY: Record<KongPlugin['name'], number> = {
  cors: 2000,
  'phantom-token': 1000,
  'request-transformer': 801,
  'response-transformer': 800,
};

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
  const targetOf = (compiled: CompiledRoute): UpstreamTarget => {
    let agent = agents.get(compiled.service.name);
    if (!agent) agents.set(compiled.service.name, (agent = createAgent(compiled.upstream)));
    return { upstream: compiled.upstream, service: compiled.service, agent, localAddress: options.sourceAddress };
  };
  const pluginsOf = (compiled: CompiledRoute): Plugin[] =>
    [...compiled.plugins].sort((a, b) => PRIORITY[b.name] - PRIORITY[a.name]).map(instantiate);
  /** Each route's plugins in front of the upstream call, built once per route (and kind of request). */
  const cached = (build: (compiled: CompiledRoute) => Handler) => {
    const handlers = new Map<CompiledRoute, Handler>();
    return (compiled: CompiledRoute): Handler => {
      let handler = handlers.get(compiled);
      if (!handler) handlers.set(compiled, (handler = build(compiled)));
      return handler;
    };
  };
  const handlerFor = cached((compiled) => {
    const target = targetOf(compiled);
    return chain(pluginsOf(compiled), (req) => forward(req, target, maxBodyBytes, log));
  });
  const upgradeHandlerFor = cached((compiled) => {
    const target = targetOf(compiled);
    return chain(pluginsOf(compiled), (req) => upgradeUpstream(req, target));
  });

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
      case 'response-transformer':
        return responseTransformer(plugin.config);
    }
  }

  /** Routes a client's request and builds what goes upstream, or Kong's own refusal. */
  function prepare(client: Request, incoming: http.IncomingMessage | undefined): Response | { req: ProxyRequest; compiled: CompiledRoute } {
    const declared = Number(client.headers.get('content-length') ?? 0);
    if (declared > maxBodyBytes) return kongError(413, KONG_MESSAGES.payloadTooLarge);

    const url = new URL(client.url);
    const path = normalizePath(url.pathname);
    const hostHeader = client.headers.get('host') ?? url.host;
    const localPort = incoming?.socket?.localPort ?? Number(url.port || (scheme === 'https' ? 443 : 80));
    if (options.virtualHost && !namesListener(hostHeader, options.virtualHost, localPort, scheme)) {
      return kongError(404, KONG_MESSAGES.noRoute);
    }
    const match = router.match(client.method, options.virtualHost ?? hostHeader, path);
    if (!match) return kongError(404, KONG_MESSAGES.noRoute);
    const { route, upstream } = match.compiled;
    if (!route.protocols.includes(scheme)) {
      return kongError(426, KONG_MESSAGES.useHttps, { connection: 'Upgrade', upgrade: 'TLS/1.2, HTTP/1.1' });
    }

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
    return { req, compiled: match.compiled };
  }

  async function run(handler: Handler, req: ProxyRequest, route: CompiledRoute): Promise<Response> {
    try {
      return await handler(req);
    } catch (e) {
      log({ event: 'gateway_error', route: route.route.name, error: redact(String((e as Error).message)) });
      return kongError(500, KONG_MESSAGES.unexpected);
    }
  }

  const app = new Hono<GatewayEnv>();
  app.all('*', async (c) => {
    const prepared = prepare(c.req.raw, c.env?.incoming);
    if (prepared instanceof Response) return prepared;
    return deliver(await run(handlerFor(prepared.compiled), prepared.req, prepared.compiled), c.env?.outgoing);
  });

  /**
   * A request that asks to switch protocols (the HTTP server's `upgrade` event). WebSocket goes
   * through the route's plugins to the upstream and stays connected; any other upgrade is answered
   * as an ordinary request without it, as Kong does, and the connection closed.
   */
  async function upgrade(incoming: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const host = incoming.headers.host ?? 'localhost';
    const client = new Request(new URL(incoming.url ?? '/', `${scheme}://${host}`), {
      method: incoming.method,
      headers: Object.entries(incoming.headersDistinct).flatMap(([name, values]) => (values ?? []).map((v): [string, string] => [name, v])),
    });
    // What came with the request is on the socket now, not in a body stream: only bodiless upgrades pass.
    if (client.headers.has('content-length') || client.headers.has('transfer-encoding')) {
      return writeResponse(socket, kongError(400, 'Upgrade requests with a body are not supported by the development gateway'));
    }
    if (!isWebSocketUpgrade(incoming.headers)) return writeResponse(socket, await app.fetch(client, { incoming }));
    const prepared = prepare(client, incoming);
    if (prepared instanceof Response) return writeResponse(socket, prepared);
    const { req, compiled } = prepared;
    await finishUpgrade(socket, head, await run(upgradeHandlerFor(compiled), req, compiled), compiled.service.read_timeout);
  }

  return {
    app,
    upgrade,
    tokenCache,
    async close() {
      for (const agent of agents.values()) agent.destroy();
      introspectionAgents.destroy();
    },
  };
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The Host names the listener: its virtual host (any port, as Kong ignores it), or loopback on its own port. */
function namesListener(hostHeader: string, virtualHost: string, localPort: number, scheme: 'http' | 'https'): boolean {
  const name = normalizeHost(hostHeader);
  if (name === normalizeHost(virtualHost)) return true;
  if (!LOOPBACK_NAMES.has(name)) return false;
  const port = /\]?:(\d+)$/.exec(hostHeader.trim())?.[1];
  return Number(port ?? (scheme === 'https' ? 443 : 80)) === localPort;
}
