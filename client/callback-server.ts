/**
 * The loopback server that receives the authorization response (RFC 8252 §7.3). It accepts a
 * response only for the sign-in in progress: the `state` must match, and the caller's check
 * (the MCP SDK's RFC 9207 `iss` rule) must pass before the browser is told it is signed in.
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { html, raw } from 'hono/html';

export type AuthorizationResponseErrorCode =
  'ERR_RESPONSE_REFUSED' | 'ERR_AUTHORIZATION_DENIED' | 'ERR_CODE_MISSING' | 'ERR_SIGN_IN_TIMEOUT';

/** The authorization response was refused or never came; `code` says why. */
export class AuthorizationResponseError extends Error {
  override name = 'AuthorizationResponseError';
  constructor(
    readonly code: AuthorizationResponseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface AuthorizationExpectation {
  /** The `state` sent in the authorization request. */
  state: string;
  /** Throws when the response must be refused (e.g. an `iss` from another authorization server). */
  check?: (params: URLSearchParams) => void;
  /** How long to wait for the browser to come back. */
  timeoutMs: number;
}

export interface CallbackServer {
  /** The redirect URI to register and to send in the authorization request. */
  readonly redirectUrl: string;
  /** The port asked for, when it was in use and another was taken instead. */
  readonly portInUse?: number;
  /** Waits for the authorization response of one sign-in; resolves with its parameters (`code`, `iss`, …). */
  expect(expectation: AuthorizationExpectation): Promise<URLSearchParams>;
  close(): Promise<void>;
}

export interface CallbackServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** When `port` is in use, take a free one instead of failing (only for clients whose redirect URI is not fixed). */
  anyPortIfInUse?: boolean;
  /** What to do when `port` is in use and may not change; default: choose another with --callback-port. */
  portInUseAdvice?: string;
  host?: string;
  path?: string;
}

interface Pending extends AuthorizationExpectation {
  resolve(params: URLSearchParams): void;
  reject(error: AuthorizationResponseError): void;
  timer: NodeJS.Timeout;
}

/** How long closing waits for a page still being sent. */
const PAGE_GRACE_MS = 1_000;

// The page is static apart from escaped text, so its one style block is allowed by hash and
// nothing else may load or run.
const STYLE =
  'body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f4f5f7;' +
  'font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328}' +
  'main{max-width:28rem;margin:1rem;padding:1.5rem 1.75rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.12)}' +
  'h1{margin:0 0 .5rem;font-size:1.375rem}.ok h1{color:#1a7f37}.refused h1{color:#cf222e}p{margin:0}';
const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
};

// The style block must stay byte for byte what its hash names, so Prettier leaves the page alone.
// prettier-ignore
function page(kind: 'ok' | 'refused', title: string, text: string) {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>MCP client: ${title}</title>
    <style>${raw(STYLE)}</style>
  </head>
  <body>
    <main class="${kind}">
      <h1>${title}</h1>
      <p>${text}</p>
    </main>
  </body>
</html>`;
}

export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/callback';
  let pending: Pending | undefined;

  const settle = (outcome: { params: URLSearchParams } | { error: AuthorizationResponseError }) => {
    const current = pending;
    if (!current) return;
    pending = undefined;
    clearTimeout(current.timer);
    if ('params' in outcome) current.resolve(outcome.params);
    else current.reject(outcome.error);
  };

  const app = new Hono();
  app.get(path, async (c) => {
    const refuse = async (title: string, text: string) => c.html(await page('refused', title, text), 400, PAGE_HEADERS);
    const params = new URL(c.req.url).searchParams;
    if (!pending) return refuse('No sign-in in progress', 'The MCP client is not waiting for a sign-in. Start it again from the client.');
    // A response without the state we sent may be forged (CSRF): refuse it and keep waiting.
    if (params.get('state') !== pending.state) {
      return refuse('Response ignored', 'This response does not belong to the sign-in in progress (state mismatch).');
    }
    try {
      pending.check?.(params);
    } catch (err) {
      const message = (err as Error).message;
      settle({ error: new AuthorizationResponseError('ERR_RESPONSE_REFUSED', `Sign-in refused. ${message}`) });
      return refuse('Sign-in refused', message);
    }
    const error = params.get('error');
    if (error) {
      const description = params.get('error_description');
      const reason = `${error}${description ? `: ${description}` : ''}`;
      settle({
        error: new AuthorizationResponseError('ERR_AUTHORIZATION_DENIED', `The authorization server refused the sign-in (${reason}).`),
      });
      return refuse('Sign-in not completed', `The authorization server answered: ${reason}. You can close this tab.`);
    }
    if (!params.get('code')) {
      settle({ error: new AuthorizationResponseError('ERR_CODE_MISSING', 'The authorization response carried no code.') });
      return refuse('Sign-in not completed', 'The authorization response carried no code.');
    }
    settle({ params });
    return c.html(await page('ok', 'Signed in', 'You can close this tab and return to the MCP client.'), 200, PAGE_HEADERS);
  });
  app.notFound((c) => c.text('Not found', 404));

  let server: ServerType;
  let portInUse: number | undefined;
  try {
    server = await listen(app, options.port, host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (!options.anyPortIfInUse) {
      const advice = options.portInUseAdvice ?? 'Choose another with --callback-port <port> (0 picks a free one).';
      throw new Error(`The callback port ${options.port} is in use. ${advice}`, { cause: err });
    }
    portInUse = options.port;
    server = await listen(app, 0, host);
  }
  const port = (server.address() as AddressInfo).port;
  const redirectUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;

  return {
    redirectUrl,
    portInUse,
    expect(expectation) {
      // A new sign-in replaces one that was abandoned.
      settle({ error: new AuthorizationResponseError('ERR_SIGN_IN_TIMEOUT', 'A new sign-in was started.') });
      return new Promise<URLSearchParams>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            settle({
              error: new AuthorizationResponseError(
                'ERR_SIGN_IN_TIMEOUT',
                `No sign-in completed within ${Math.round(expectation.timeoutMs / 1000)} seconds.`,
              ),
            }),
          expectation.timeoutMs,
        );
        pending = { ...expectation, resolve, reject, timer };
      });
    },
    async close() {
      settle({ error: new AuthorizationResponseError('ERR_SIGN_IN_TIMEOUT', 'The client stopped waiting for the sign-in.') });
      await new Promise<void>((resolve) => {
        // Idle keep-alive connections (a browser's, or fetch's in http mode) must not hold the
        // process; a page still on its way (a refusal ends the sign-in before its page is sent)
        // gets a moment to arrive.
        const cutOff = setTimeout(() => (server as Server).closeAllConnections(), PAGE_GRACE_MS);
        server.close(() => {
          clearTimeout(cutOff);
          resolve();
        });
        (server as Server).closeIdleConnections();
      });
    },
  };
}

function listen(app: Hono, port: number, hostname: string): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    // Leave the global Response alone: the MCP SDK tells a fetch Response by `instanceof Response`,
    // and would misread the authorization server's error responses.
    const server = serve({ fetch: app.fetch, port, hostname, overrideGlobalObjects: false }, () => resolve(server));
    server.once('error', reject);
  });
}
