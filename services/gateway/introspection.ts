/**
 * One introspection call as Curity's phantom-token plugin makes it: a form POST of the token with
 * the gateway client's Basic credentials, asking for the JWT (`Accept: application/jwt`).
 */
import http from 'node:http';
import https from 'node:https';
import { basicAuthorization } from '@mcp-secured-api/contracts';
import { KEEP_ALIVE } from './keep-alive.ts';

export interface IntrospectionRequest {
  endpoint: string;
  clientId: string;
  clientSecret: string;
  token: string;
  timeoutMs: number;
  verifySsl: boolean;
  agents: IntrospectionAgents;
}

export type IntrospectionResult =
  | { status: 200; jwt: string; /** Cache-Control max-age, when given. */ maxAge: number | undefined }
  | { status: number }
  /** No answer: connection failure, time-out, or an unreadable response. */
  | { status: 'failed'; reason: string };

// A JWT is a few kilobytes; anything much larger is not an answer we can use.
const MAX_RESPONSE_BYTES = 256 * 1024;

/** Connections kept alive to introspection endpoints; `destroy()` closes them. */
export class IntrospectionAgents {
  readonly http = new http.Agent({ ...KEEP_ALIVE, maxSockets: 64 });
  readonly https = new https.Agent({ ...KEEP_ALIVE, maxSockets: 64 });
  // `verify_ssl: false` in the plugin's configuration: TLS without certificate checks.
  readonly httpsUnverified = new https.Agent({ ...KEEP_ALIVE, maxSockets: 64, rejectUnauthorized: false });

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
    this.httpsUnverified.destroy();
  }
}

export function introspect(r: IntrospectionRequest): Promise<IntrospectionResult> {
  const url = new URL(r.endpoint);
  const secure = url.protocol === 'https:';
  const body = new URLSearchParams({ token: r.token }).toString();
  return new Promise((resolve) => {
    const req = (secure ? https : http).request(url, {
      method: 'POST',
      agent: secure ? (r.verifySsl ? r.agents.https : r.agents.httpsUnverified) : r.agents.http,
      headers: {
        authorization: basicAuthorization(r.clientId, r.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/jwt',
        'content-length': Buffer.byteLength(body),
      },
      signal: AbortSignal.timeout(r.timeoutMs),
    });
    const fail = (reason: string) => resolve({ status: 'failed', reason });
    req.on('error', (e: NodeJS.ErrnoException) =>
      fail(e.name === 'AbortError' || e.name === 'TimeoutError' ? `no answer within ${r.timeoutMs} ms` : (e.code ?? e.message)),
    );
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        // The status is the answer; the body is drained. A body cut short must not leave the
        // request (and every request waiting on the same token) pending for ever.
        res.resume();
        res.on('end', () => resolve({ status }));
        res.on('close', () => resolve({ status }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('introspection response too large'));
        else chunks.push(chunk);
      });
      res.on('error', () => fail('introspection response interrupted'));
      res.on('close', () => {
        if (!res.complete) fail('introspection response interrupted');
      });
      res.on('end', () => {
        const jwt = Buffer.concat(chunks).toString('utf8').trim();
        // Forwarding "Bearer " with nothing after it would only move the failure downstream.
        if (!jwt) return fail('empty introspection response');
        const maxAge = /max-age=(\d+)/i.exec(res.headers['cache-control'] ?? '')?.[1];
        resolve({ status: 200, jwt, maxAge: maxAge === undefined ? undefined : Number(maxAge) });
      });
    });
    req.end(body);
  });
}
