/**
 * The two ends of a WebSocket upgrade for the gateway's tests, over raw HTTP/1.1: an upstream that
 * switches protocols and answers every chunk it receives with a marker (so an echo from the
 * gateway itself cannot pass for the upstream's), and a client that asks for the upgrade and then
 * talks over the socket. The proxy passes bytes, so no WebSocket framing is needed to test it.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/** The Sec-WebSocket-Accept a server must send for a key (RFC 6455 §4.2.2). */
export function webSocketAccept(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC11B65`).digest('base64');
}

export interface UpgradeSeen {
  path: string;
  headers: http.IncomingHttpHeaders;
}

export async function startWebSocketUpstream() {
  const upgrades: UpgradeSeen[] = [];
  const plain: UpgradeSeen[] = [];
  const open = new Set<Duplex>();
  const behaviour = { refuse: false };
  const server = http.createServer((req, res) => {
    plain.push({ path: req.url ?? '', headers: req.headers });
    res.end('plain answer');
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
    upgrades.push({ path: req.url ?? '', headers: req.headers });
    if (behaviour.refuse) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 7\r\nconnection: close\r\n\r\nrefused');
      return;
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    const key = String(req.headers['sec-websocket-key'] ?? '');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${webSocketAccept(key)}\r\nX-Upstream: yes\r\n\r\n`,
    );
    socket.on('data', (chunk: Buffer) => socket.write(`upstream:${chunk.toString()}`));
    socket.on('error', () => {});
    // A WebSocket server closes its side when the peer's connection ends.
    socket.on('end', () => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    upgrades,
    plain,
    behaviour,
    /** WebSocket connections the upstream holds open now. */
    openCount: () => open.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type UpgradeResult =
  | { upgraded: true; status: 101; headers: http.IncomingHttpHeaders; socket: Duplex; head: Buffer }
  | { upgraded: false; status: number; headers: http.IncomingHttpHeaders; body: string };

/** Asks `url` (with the Host and other headers given) to switch to WebSocket, or to `protocol`. */
export function requestUpgrade(
  url: string,
  options: { path?: string; headers?: http.OutgoingHttpHeaders; protocol?: string } = {},
): Promise<UpgradeResult> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      hostname: u.hostname,
      port: u.port,
      path: options.path ?? '/',
      agent: false,
      headers: {
        connection: 'Upgrade',
        upgrade: options.protocol ?? 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...options.headers,
      },
    });
    req.on('upgrade', (res, socket, head) => resolve({ upgraded: true, status: 101, headers: res.headers, socket, head }));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ upgraded: false, status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Writes `text` and waits for the next chunk back. */
export function exchange(socket: Duplex, text: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to "${text}" within ${timeoutMs} ms`)), timeoutMs);
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      resolve(chunk.toString());
    });
    socket.write(text);
  });
}

/** Resolves when the socket closes. */
export function closed(socket: Duplex): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}
