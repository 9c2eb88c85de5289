/**
 * The loopback server that receives the authorization response (RFC 8252 §7.3). It accepts a
 * response only for the sign-in in progress: the `state` must match, and `iss` (RFC 9207) must
 * name the authorization server the client discovered.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AuthorizationResponseErrorCode = 'issuer_mismatch' | 'issuer_missing' | 'authorization_denied' | 'code_missing' | 'timeout';

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
  /** The issuer from the authorization server's metadata; `iss` must equal it when present. */
  issuer?: string;
  /** The metadata said `authorization_response_iss_parameter_supported`: `iss` must be present. */
  issuerRequired?: boolean;
  /** How long to wait for the browser to come back. */
  timeoutMs: number;
}

export interface CallbackServer {
  /** The redirect URI to register and to send in the authorization request. */
  readonly redirectUrl: string;
  /** Waits for the authorization response of one sign-in; resolves with the authorization code. */
  expect(expectation: AuthorizationExpectation): Promise<string>;
  close(): Promise<void>;
}

export interface CallbackServerOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  path?: string;
}

interface Pending extends AuthorizationExpectation {
  resolve(code: string): void;
  reject(error: AuthorizationResponseError): void;
  timer: NodeJS.Timeout;
}

const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/callback';
  let pending: Pending | undefined;

  const settle = (outcome: { code: string } | { error: AuthorizationResponseError }) => {
    const current = pending;
    if (!current) return;
    pending = undefined;
    clearTimeout(current.timer);
    if ('code' in outcome) current.resolve(outcome.code);
    else current.reject(outcome.error);
  };

  const app = new Hono();
  app.get(path, (c) => {
    const page = (status: 200 | 400, text: string) => c.text(text, status, PAGE_HEADERS);
    const query = c.req.query();
    if (!pending) return page(400, 'No sign-in is in progress in the MCP client. Start it again from the client.');
    // A response without the state we sent may be forged (CSRF): refuse it and keep waiting.
    if (query.state !== pending.state) {
      return page(400, 'This response does not belong to the sign-in in progress (state mismatch). It was ignored.');
    }
    const issuerProblem = checkIssuer(query.iss, pending);
    if (issuerProblem) {
      settle({ error: issuerProblem });
      return page(400, `Sign-in refused: ${issuerProblem.message}`);
    }
    if (query.error) {
      const description = query.error_description ? `: ${query.error_description}` : '';
      settle({
        error: new AuthorizationResponseError(
          'authorization_denied',
          `The authorization server refused the sign-in (${query.error}${description}).`,
        ),
      });
      return page(400, `Sign-in was not completed (${query.error}${description}). You can close this tab.`);
    }
    if (!query.code) {
      settle({ error: new AuthorizationResponseError('code_missing', 'The authorization response carried no code.') });
      return page(400, 'The authorization response carried no code.');
    }
    settle({ code: query.code });
    return page(200, 'Signed in. You can close this tab and return to the MCP client.');
  });
  app.notFound((c) => c.text('Not found', 404));

  const server = await listen(app, options.port, host);
  const port = (server.address() as AddressInfo).port;
  const redirectUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;

  return {
    redirectUrl,
    expect(expectation) {
      // A new sign-in replaces one that was abandoned.
      settle({ error: new AuthorizationResponseError('timeout', 'A new sign-in was started.') });
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            settle({
              error: new AuthorizationResponseError(
                'timeout',
                `No sign-in completed within ${Math.round(expectation.timeoutMs / 1000)} seconds.`,
              ),
            }),
          expectation.timeoutMs,
        );
        pending = { ...expectation, resolve, reject, timer };
      });
    },
    async close() {
      settle({ error: new AuthorizationResponseError('timeout', 'The client stopped waiting for the sign-in.') });
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections (a browser's, or fetch's in http mode) must not hold the process.
        (server as Server).closeAllConnections();
      });
    },
  };
}

function checkIssuer(iss: string | undefined, expected: AuthorizationExpectation): AuthorizationResponseError | undefined {
  if (iss === undefined) {
    return expected.issuerRequired
      ? new AuthorizationResponseError(
          'issuer_missing',
          'the authorization server promised an "iss" parameter in its response but sent none',
        )
      : undefined;
  }
  if (expected.issuer !== undefined && iss !== expected.issuer) {
    return new AuthorizationResponseError(
      'issuer_mismatch',
      `the response came from issuer "${iss}", not from "${expected.issuer}" where the sign-in started (possible mix-up attack)`,
    );
  }
  return undefined;
}

function listen(app: Hono, port: number, hostname: string): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname }, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`The callback port ${port} is in use. Choose another with --callback-port <port> (0 picks a free one).`)
          : err,
      );
    });
  });
}
