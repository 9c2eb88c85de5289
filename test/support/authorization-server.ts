/**
 * Starts the built-in authorization server on an ephemeral loopback port for tests, with its
 * login origin set to where it listens, its state in an embedded database in memory (unless a
 * database is given), a clock tests can move, and helpers for PKCE, dynamic registration and
 * authorization URLs.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import {
  createAuthorizationServer,
  type AuthorizationServer,
  type AuthorizationServerDeps,
} from '../../services/authorization-server/app.ts';
import type { AuthorizationServerConfigInput } from '../../services/authorization-server/config.ts';
import { AS_PATHS, silentLogger } from '@mcp-secured-api/contracts';
import { expectForm, UserAgent, type HtmlForm } from '../../infra/local/headless-sign-in.ts';

export const TEST_USERS = [
  { email: 'john.doe@demo.example', region: 'USA' },
  { email: 'jane.test@demo.example', region: 'Europe' },
];
export const TEST_SCOPE = 'stocks/read';
export const MCP_RESOURCE = 'http://mcp.demo.example/';
export const API_AUDIENCE = 'http://api.demo.example';
export const GATEWAY_CLIENT = { id: 'api-gateway-client', secret: 'gateway-secret-0123456789abcdef' };
export const MCP_CLIENT = { id: 'mcp-server-client', secret: 'mcp-secret-0123456789abcdef-xyz' };
export const KEY_ENCRYPTION_KEY = 'test-key-encryption-key-0123456789abcdef';

export interface TestAuthorizationServer {
  url: string;
  issuer: string;
  server: AuthorizationServer;
  /** Moves the server's clock forward. */
  advance(seconds: number): void;
  close(): Promise<void>;
}

export async function startTestAuthorizationServer(
  options: { smtp?: { host: string; port: number }; config?: Partial<AuthorizationServerConfigInput>; deps?: AuthorizationServerDeps } = {},
): Promise<TestAuthorizationServer> {
  let handler: AuthorizationServer | undefined;
  const http = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: (request) => handler!.app.fetch(request), port: 0, hostname: '127.0.0.1' }, () =>
      resolve(s as Server),
    ) as Server;
  });
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  let offset = 0;
  const server = await createAuthorizationServer(
    {
      issuer: `${url}${AS_PATHS.issuer}`,
      loginOrigin: url,
      mcpResource: MCP_RESOURCE,
      apiAudience: API_AUDIENCE,
      scope: TEST_SCOPE,
      scopeDescription: 'Read stock prices for your region',
      organizationName: 'Demo Example',
      resourceName: 'Stocks MCP server',
      users: TEST_USERS,
      accessTokenTtlSeconds: 900,
      clientAssuranceLevel: 1,
      clients: { gateway: GATEWAY_CLIENT, mcpServer: MCP_CLIENT },
      smtp: { ...(options.smtp ?? { host: '127.0.0.1', port: 1 }), from: 'no-reply@demo.example' },
      cookieSecret: 'test-cookie-secret-0123456789abcdef-0123456789',
      keyEncryptionKey: KEY_ENCRYPTION_KEY,
      ...options.config,
    },
    { now: () => Math.floor(Date.now() / 1000) + offset, log: silentLogger, ...options.deps },
  ).catch(async (error: unknown) => {
    await new Promise((resolve) => http.close(resolve));
    throw error;
  });
  handler = server;
  return {
    url,
    issuer: `${url}${AS_PATHS.issuer}`,
    server,
    advance: (seconds) => {
      offset += seconds;
    },
    async close() {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await server.close();
    },
  };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function registerClient(
  baseUrl: string,
  metadata: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${baseUrl}${AS_PATHS.registration}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

export function authorizeUrl(baseUrl: string, params: Record<string, string | undefined>): string {
  const url = new URL(`${baseUrl}${AS_PATHS.authorize}`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

/**
 * A code request with a fresh PKCE pair (S256) for the test scope; `params` add or replace
 * parameters (resource, state, scope…). Returns the URL and the verifier to redeem the code with.
 */
export function codeRequest(
  baseUrl: string,
  clientId: string,
  redirectUri: string,
  params: Record<string, string | undefined> = {},
): { url: string; verifier: string } {
  const pkce = pkcePair();
  const url = authorizeUrl(baseUrl, {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    scope: TEST_SCOPE,
    ...params,
  });
  return { url, verifier: pkce.verifier };
}

/** POSTs a form to the server, with optional Basic client credentials and Accept header. */
export async function postForm(
  url: string,
  form: Record<string, string | undefined>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined) body.set(k, v);
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
}

/** A browser whose requests go to the server's app in this process (no sockets), from `address` when given. */
export function inProcessBrowser(as: TestAuthorizationServer, address?: string): UserAgent {
  const env = address === undefined ? undefined : { incoming: { socket: { remoteAddress: address } } };
  return new UserAgent((url, init) => Promise.resolve(as.server.app.request(String(url), init, env)));
}

/** Opens a code request of `clientId` in `browser` and returns the sign-in page's email form. */
export async function emailForm(as: TestAuthorizationServer, browser: UserAgent, clientId: string): Promise<HtmlForm> {
  const page = await browser.navigate(codeRequest(as.url, clientId, 'https://agent.example/cb').url);
  return expectForm(page, 'email', 'Sign-in page');
}
