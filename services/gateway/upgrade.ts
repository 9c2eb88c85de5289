/**
 * WebSocket upgrades, as Kong 3.x proxies them on its http and https routes: a request with
 * `Upgrade: websocket` goes through the route's plugins like any other (so a protected route
 * still wants its token), then to the upstream with `Connection: keep-alive, Upgrade` and
 * `Upgrade: websocket`. When the upstream switches protocols, its 101 goes back to the client and
 * the two connections are joined byte for byte until either side closes or the service's read
 * time-out passes without traffic (nginx's proxy_read_timeout on an upgraded connection). Any
 * other answer (a refusal, a 404) is sent as an ordinary response and the connection closed.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Readable } from 'node:stream';
import { endToEndFromRaw } from './http-headers.ts';
import { KONG_MESSAGES, kongError } from './kong-errors.ts';
import type { ProxyRequest } from './pipeline.ts';
import { requestUpstream, type UpstreamTarget } from './proxy.ts';

/** Whether a request asks to switch to WebSocket (the only upgrade Kong passes on). */
export function isWebSocketUpgrade(headers: http.IncomingHttpHeaders): boolean {
  return headers.upgrade?.trim().toLowerCase() === 'websocket';
}

interface Switched {
  upstreamSocket: Duplex;
  upstreamHead: Buffer;
}

/** Responses that stand for an upstream's 101: plugins may add headers to them, as to any response. */
const switchedResponses = new WeakMap<Response, Switched>();

/** The last step of a route for an upgrade request: ask the upstream to switch protocols. */
export function upgradeUpstream(req: ProxyRequest, target: UpstreamTarget): Promise<Response> {
  const { upstream, service } = target;
  return new Promise<Response>((resolve) => {
    // A connection of its own: an upgraded socket never goes back to a keep-alive pool.
    const client = requestUpstream(req, upstream, false, { connection: 'keep-alive, Upgrade', upgrade: 'websocket' }, target.localAddress);
    client.setTimeout(service.connect_timeout);
    let settled = false;
    const settle = (response: Response) => {
      if (!settled) {
        settled = true;
        resolve(response);
      }
    };
    client.on('timeout', () => {
      client.destroy();
      settle(kongError(504, KONG_MESSAGES.gatewayTimeout));
    });
    client.on('error', () => settle(kongError(502, KONG_MESSAGES.badGateway)));
    client.on('upgrade', (res, socket, head) => {
      const response = new Response(null, { status: 200, headers: endToEndFromRaw(res.rawHeaders) });
      switchedResponses.set(response, { upstreamSocket: socket, upstreamHead: head });
      settle(response);
    });
    // The upstream declined to switch: its answer goes to the client as it is.
    client.on('response', (res) => {
      const status = res.statusCode ?? 502;
      const body = req.method === 'HEAD' || status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      try {
        settle(new Response(body, { status, headers: endToEndFromRaw(res.rawHeaders) }));
      } catch {
        res.destroy();
        settle(kongError(502, KONG_MESSAGES.badGateway));
      }
    });
    client.end();
  });
}

/**
 * Finishes an upgrade request on the client's socket: joins it to the upstream when the chain's
 * answer is the upstream's 101, else writes the answer as an HTTP/1.1 response and closes.
 */
export async function finishUpgrade(socket: Duplex, head: Buffer, response: Response, idleTimeoutMs: number): Promise<void> {
  const switched = switchedResponses.get(response);
  if (!switched) {
    await writeResponse(socket, response);
    return;
  }
  const { upstreamSocket, upstreamHead } = switched;
  const lines = ['HTTP/1.1 101 Switching Protocols', 'connection: Upgrade', 'upgrade: websocket'];
  response.headers.forEach((value, name) => lines.push(`${name}: ${value}`));
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (upstreamHead.length) socket.write(upstreamHead);
  if (head.length) upstreamSocket.write(head);
  const close = () => {
    socket.destroy();
    upstreamSocket.destroy();
  };
  (upstreamSocket as Socket).setTimeout(idleTimeoutMs, close);
  // When either side is done, what it sent is passed on, then both connections close.
  for (const [from, to] of [
    [socket, upstreamSocket],
    [upstreamSocket, socket],
  ] as const) {
    from.on('error', close);
    from.on('close', close);
    from.on('end', () => to.end(close));
    from.pipe(to, { end: false });
  }
}

/** An ordinary response on a socket that left the HTTP server: the body runs until the connection closes. */
export async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  const lines = [`HTTP/1.1 ${response.status} ${http.STATUS_CODES[response.status] ?? ''}`];
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie' && name !== 'content-length') lines.push(`${name}: ${value}`);
  });
  for (const cookie of response.headers.getSetCookie()) lines.push(`set-cookie: ${cookie}`);
  lines.push('connection: close');
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (response.body) {
    for await (const chunk of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
      if (socket.destroyed) break;
      if (!socket.write(chunk as Buffer)) await new Promise((resolve) => (socket.once('drain', resolve), socket.once('close', resolve)));
    }
  }
  socket.end();
}
