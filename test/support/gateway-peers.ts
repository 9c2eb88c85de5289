/**
 * Real servers on loopback for the gateway's tests: an upstream that reports what reached it, a
 * fake introspection endpoint answering as Curity does with `Accept: application/jwt`, and a
 * raw HTTP client (fetch cannot set Host or hop-by-hop headers).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { SignJWT } from 'jose';
import { basicAuthorization } from '@mcp-secured-api/contracts';
import { listen } from './listen.ts';

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface Seen {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  bodyBytes: number;
  bodySha256: string;
  body: string;
}

/** An upstream service recording every request it receives. */
export async function startUpstream(name: string) {
  const seen: Seen[] = [];
  /** Downloads the client gave up on (their stream was cancelled). */
  const downloads = { cancelled: 0 };
  let releaseSse: () => void = () => {};
  const sseGate = new Promise<void>((r) => (releaseSse = r));
  const app = new Hono();
  // A request the gateway cut off (body over the cap) is expected here, not an error to print.
  app.onError((err, c) => c.text(err.message, 500));
  app.get('/slow', async (c) => {
    await new Promise((r) => setTimeout(r, Number(c.req.query('ms') ?? 2000)));
    return c.text('late');
  });
  app.get('/sse', () => {
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(enc.encode('data: first\n\n'));
        await sseGate;
        controller.enqueue(enc.encode('data: second\n\n'));
        controller.close();
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
  });
  app.get('/download', (c) => {
    const total = Number(c.req.query('bytes'));
    const chunk = Buffer.alloc(64 * 1024, 'abcdefgh');
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const n = Math.min(chunk.length, total - sent);
        controller.enqueue(chunk.subarray(0, n));
        sent += n;
        if (sent >= total) controller.close();
      },
      cancel() {
        downloads.cancelled++;
      },
    });
    return new Response(body, { headers: { 'content-type': 'application/octet-stream' } });
  });
  app.post('/echo-stream', (c) => new Response(c.req.raw.body, { headers: { 'content-type': 'application/octet-stream' } }));
  app.get(
    '/gzip',
    () => new Response(gzipSync('compressed hello'), { headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' } }),
  );
  app.get('/hop', () => {
    const res = new Response('hop');
    res.headers.set('connection', 'X-Up-Hop');
    res.headers.set('x-up-hop', 'secret');
    res.headers.set('proxy-authenticate', 'Basic');
    res.headers.set('access-control-allow-origin', '*');
    res.headers.append('set-cookie', 'a=1');
    res.headers.append('set-cookie', 'b=2');
    return res;
  });
  app.all('*', async (c) => {
    const buf = Buffer.from(await c.req.arrayBuffer());
    const url = new URL(c.req.url);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((v, k) => (headers[k] = v));
    const entry: Seen = {
      method: c.req.method,
      path: url.pathname,
      search: url.search,
      headers,
      bodyBytes: buf.length,
      bodySha256: createHash('sha256').update(buf).digest('hex'),
      body: buf.length < 65536 ? buf.toString('utf8') : '',
    };
    seen.push(entry);
    return c.json({ service: name, ...entry });
  });
  const started = await listen(app);
  return { ...started, seen, downloads, releaseSse };
}

export interface IssuedToken {
  jwt: string;
  /** max-age sent with the JWT; absent: no Cache-Control. */
  maxAge?: number;
}

export const GATEWAY_CLIENT = { id: 'api-gateway-client', secret: 'gateway-secret-for-tests' };

/** Introspection as the authorization server answers the gateway: 200 + JWT, or 204 when inactive. */
export async function startIntrospection() {
  const tokens = new Map<string, IssuedToken>();
  const calls = new Map<string, number>();
  const behaviour = { delayMs: 0, status: undefined as number | undefined };
  const expected = basicAuthorization(GATEWAY_CLIENT.id, GATEWAY_CLIENT.secret);
  const app = new Hono();
  app.post('/oauth/v2/oauth-introspect', async (c) => {
    const form = await c.req.parseBody();
    const token = String(form.token ?? '');
    calls.set(token, (calls.get(token) ?? 0) + 1);
    if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
    if (behaviour.status) return c.body(null, behaviour.status as 500);
    if (c.req.header('authorization') !== expected) return c.json({ error: 'invalid_client' }, 401);
    if (c.req.header('accept') !== 'application/jwt') return c.json({ error: 'expected Accept: application/jwt' }, 400);
    const issued = tokens.get(token);
    if (!issued) return c.body(null, 204);
    const headers: Record<string, string> = { 'content-type': 'application/jwt' };
    if (issued.maxAge !== undefined) headers['cache-control'] = `max-age=${issued.maxAge}`;
    return c.body(issued.jwt, 200, headers);
  });
  const started = await listen(app);
  return {
    ...started,
    endpoint: `${started.url}/oauth/v2/oauth-introspect`,
    tokens,
    behaviour,
    /** Introspections of one token so far. */
    callsFor: (token: string) => calls.get(token) ?? 0,
  };
}

const jwtKey = new TextEncoder().encode('a-signing-key-for-gateway-tests-only-32b');

export function makeJwt(claims: Record<string, unknown>, expiresIn = '15m'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuedAt().setExpirationTime(expiresIn).sign(jwtKey);
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  text: string;
  json<T = any>(): T;
}

/** One HTTP/1.1 request with exactly the headers given (Host included). */
export function request(
  url: string,
  options: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body,
            text,
            json: () => JSON.parse(text),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
