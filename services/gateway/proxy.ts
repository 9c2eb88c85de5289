/**
 * The last step of every route: send the request to the service and stream the answer back.
 * Bodies stream both ways; connections are kept alive per service; the service's connect, write
 * and read time-outs apply as in Kong (504), a refused or broken connection is a 502, and a
 * request body beyond the cap is a 413.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable, Transform } from 'node:stream';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { KongService } from './config.ts';
import { endToEndFromRaw } from './http-headers.ts';
import { KEEP_ALIVE } from './keep-alive.ts';
import { KONG_MESSAGES, kongError } from './kong-errors.ts';
import { PayloadTooLargeError, type ProxyRequest } from './pipeline.ts';
import type { Upstream } from './router.ts';

export interface UpstreamTarget {
  upstream: Upstream;
  service: KongService;
  agent: http.Agent;
  /** The address the gateway connects from (its own address as the services see it); default: the system's choice. */
  localAddress?: string;
}

class UpstreamTimeoutError extends Error {
  override name = 'UpstreamTimeoutError';
  readonly code = 'ERR_UPSTREAM_TIMEOUT';
}

// nginx retries only idempotent requests on another try, and only when nothing was received.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Upstream bodies kept as Node streams behind the Response the plugins see (they change headers
 * only), so that `deliver` can pipe them straight to the client's socket.
 */
const upstreamBodies = new WeakMap<Response, http.IncomingMessage>();

/**
 * Sends a response from the upstream to the client: piped to `outgoing` when the app runs on
 * @hono/node-server, else turned into a web stream. Other responses are returned as they are.
 */
export function deliver(response: Response, outgoing?: http.ServerResponse): Response {
  const body = upstreamBodies.get(response);
  if (!body) return response;
  if (!outgoing) return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, response);
  // The upstream failed between its headers and now, before anything reached the client.
  if (body.destroyed) return kongError(502, KONG_MESSAGES.badGateway);
  const raw: string[] = [];
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') raw.push(name, value);
  });
  for (const cookie of response.headers.getSetCookie()) raw.push('set-cookie', cookie);
  outgoing.writeHead(response.status, response.statusText, raw);
  // Either side failing ends both: a client that goes away stops the upstream transfer.
  // (stream.pipeline would do the same, at the cost of an AbortController per response.)
  body.pipe(outgoing);
  body.once('error', () => outgoing.destroy());
  outgoing.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  return RESPONSE_ALREADY_SENT;
}

export function createAgent(upstream: Upstream): http.Agent {
  const options = { ...KEEP_ALIVE, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' as const, noDelay: true };
  return upstream.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

export async function forward(
  req: ProxyRequest,
  target: UpstreamTarget,
  maxBodyBytes: number,
  log: (e: Record<string, unknown>) => void,
): Promise<Response> {
  const replayable = req.body === null || req.body instanceof Uint8Array;
  const attempts = replayable && IDEMPOTENT.has(req.method) ? target.service.retries + 1 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(req, target, maxBodyBytes);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err instanceof PayloadTooLargeError) return kongError(413, KONG_MESSAGES.payloadTooLarge);
      if (attempt < attempts && RETRYABLE.has(err.code ?? '')) continue;
      log({ event: 'upstream_failed', service: target.service.name, reason: err.code ?? err.message, attempts: attempt });
      if (err instanceof UpstreamTimeoutError) return kongError(504, KONG_MESSAGES.gatewayTimeout);
      return kongError(502, KONG_MESSAGES.badGateway);
    }
  }
}

/** A request to the route's service: the headers the plugins left, the Host to send, and `extra` over them. */
export function requestUpstream(
  req: ProxyRequest,
  upstream: Upstream,
  agent: http.Agent | false,
  extra: http.OutgoingHttpHeaders = {},
  localAddress?: string,
): http.ClientRequest {
  const headers: http.OutgoingHttpHeaders = {};
  req.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return (upstream.protocol === 'https:' ? https : http).request({
    protocol: upstream.protocol,
    hostname: upstream.hostname.replace(/^\[|\]$/g, ''),
    port: upstream.port,
    method: req.method,
    path: req.path + req.search,
    headers: { ...headers, host: req.host, ...extra },
    agent,
    ...(localAddress ? { localAddress } : {}),
  });
}

function send(req: ProxyRequest, target: UpstreamTarget, maxBodyBytes: number): Promise<Response> {
  const { upstream, service } = target;
  return new Promise<Response>((resolve, reject) => {
    const client = requestUpstream(req, upstream, target.agent, {}, target.localAddress);
    let settled = false;
    const fail = (err: Error) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
      client.destroy(err);
    };
    client.on('error', fail);

    client.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(
        () => fail(new UpstreamTimeoutError(`no connection within ${service.connect_timeout} ms`)),
        service.connect_timeout,
      );
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    // nginx's proxy time-outs are the longest pause between two writes, then between two reads.
    client.setTimeout(service.write_timeout, () => fail(new UpstreamTimeoutError('upstream time-out')));
    client.on('finish', () => client.setTimeout(service.read_timeout));

    client.on('response', (res) => {
      // Errors after this point end the transfer; `deliver` passes them on to the client.
      res.on('error', () => {});
      let response: Response;
      try {
        // Throws on what a web Response cannot carry (a status beyond 599, a malformed header): a 502.
        response = new Response(null, { status: res.statusCode, statusText: res.statusMessage, headers: endToEndFromRaw(res.rawHeaders) });
      } catch (e) {
        fail(e as Error);
        return;
      }
      settled = true;
      if (req.method === 'HEAD' || response.status === 204 || response.status === 304) res.resume();
      else upstreamBodies.set(response, res);
      resolve(response);
    });

    writeBody(req.body, client, maxBodyBytes, fail);
  });
}

function writeBody(body: ProxyRequest['body'], client: http.ClientRequest, maxBodyBytes: number, fail: (e: Error) => void): void {
  if (body === null) {
    client.end();
    return;
  }
  if (body instanceof Uint8Array) {
    client.end(body);
    return;
  }
  let size = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBodyBytes) done(new PayloadTooLargeError(maxBodyBytes));
      else done(null, chunk);
    },
  });
  const source = body instanceof Readable ? body : Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
  source.on('error', fail);
  cap.on('error', fail);
  source.pipe(cap).pipe(client);
}
