/**
 * A small MCP server protected by a tiny authorization server on one loopback origin, for the
 * client's tests: protected-resource and authorization-server metadata, Dynamic Client
 * Registration, an authorization endpoint that approves at once (as a person would), a token
 * endpoint checking PKCE, opaque access tokens with a lifetime and, when asked for, refresh
 * tokens that rotate on every use (a reused one revokes its family, as OAuth 2.1 advises). It
 * records what the client sent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { listen, type Listening } from './listen.ts';

export interface TestServerOptions {
  tokenTtlSeconds?: number;
  /** The `iss` the authorization response carries; default: the real issuer. */
  responseIssuer?: string;
  /** Advertise `offline_access` and the refresh-token grant, and issue rotating refresh tokens to clients that ask. */
  offlineAccess?: boolean;
}

export interface TestServer extends Listening {
  mcpUrl: string;
  /** Every access and refresh token issued, to check none is ever shown. */
  issuedTokens: string[];
  /** Query of every authorization request. */
  authorizationRequests: URLSearchParams[];
  /** Form of every token request. */
  tokenRequests: URLSearchParams[];
  /** Body of every registration request. */
  registrations: Record<string, unknown>[];
  /** Form of every revocation request. */
  revocations: URLSearchParams[];
  /** Makes every access token issued so far expire now, as if their lifetime had passed. */
  expireAccessTokens(): void;
  /** Revokes every refresh token issued so far. */
  revokeRefreshTokens(): void;
}

const SCOPE = 'stocks/read';
const OFFLINE_ACCESS = 'offline_access';

interface Client {
  redirectUris: string[];
  grantTypes: string[];
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  let origin = '';
  const clients = new Map<string, Client>();
  const codes = new Map<string, { challenge: string; clientId: string; redirectUri: string; scope: string }>();
  const accessTokens = new Map<string, number>();
  /** Refresh token → its client, scope and family (a family is revoked as a whole), and whether it was used. */
  const refreshTokens = new Map<string, { clientId: string; scope: string; family: string; used: boolean }>();
  const revokedFamilies = new Set<string>();
  const issuedTokens: string[] = [];
  const authorizationRequests: URLSearchParams[] = [];
  const tokenRequests: URLSearchParams[] = [];
  const registrations: Record<string, unknown>[] = [];
  const revocations: URLSearchParams[] = [];
  const random = () => randomBytes(24).toString('base64url');
  const ttl = options.tokenTtlSeconds ?? 900;

  const issue = (clientId: string, scope: string, family?: string) => {
    const accessToken = random();
    accessTokens.set(accessToken, Date.now() + ttl * 1000);
    issuedTokens.push(accessToken);
    const body: Record<string, unknown> = { access_token: accessToken, token_type: 'Bearer', expires_in: ttl, scope };
    const offline = scope.split(' ').includes(OFFLINE_ACCESS) && clients.get(clientId)?.grantTypes.includes('refresh_token');
    if (options.offlineAccess && offline) {
      const refreshToken = random();
      refreshTokens.set(refreshToken, { clientId, scope, family: family ?? random(), used: false });
      issuedTokens.push(refreshToken);
      body.refresh_token = refreshToken;
    }
    return body;
  };

  const app = new Hono();
  const protectedResource = (c: { json: (body: unknown) => Response }) =>
    c.json({ resource: `${origin}/mcp`, authorization_servers: [origin], scopes_supported: [SCOPE] });
  app.get('/.well-known/oauth-protected-resource/mcp', protectedResource);
  app.get('/.well-known/oauth-protected-resource', protectedResource);
  app.get('/.well-known/oauth-authorization-server', (c) =>
    c.json({
      issuer: origin,
      authorization_endpoint: `${origin}/authorize`,
      token_endpoint: `${origin}/token`,
      registration_endpoint: `${origin}/register`,
      revocation_endpoint: `${origin}/revoke`,
      response_types_supported: ['code'],
      grant_types_supported: options.offlineAccess ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      scopes_supported: options.offlineAccess ? [SCOPE, OFFLINE_ACCESS] : [SCOPE],
      authorization_response_iss_parameter_supported: true,
    }),
  );
  app.post('/register', async (c) => {
    const body = (await c.req.json()) as { redirect_uris?: string[]; grant_types?: string[] };
    registrations.push(body);
    // Grants it does not offer are left out of the registration (RFC 7591 §2), not refused.
    const grantTypes = (body.grant_types ?? ['authorization_code']).filter((grant) => grant !== 'refresh_token' || options.offlineAccess);
    const clientId = random();
    clients.set(clientId, { redirectUris: body.redirect_uris ?? [], grantTypes });
    return c.json({ ...body, grant_types: grantTypes, client_id: clientId, token_endpoint_auth_method: 'none' }, 201);
  });
  // RFC 7009: a refresh token's family is revoked; anything else unknown is answered 200 all the same.
  app.post('/revoke', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    revocations.push(form);
    const grant = refreshTokens.get(form.get('token') ?? '');
    if (grant && grant.clientId === form.get('client_id')) revokedFamilies.add(grant.family);
    accessTokens.delete(form.get('token') ?? '');
    return c.body(null, 200);
  });
  app.get('/authorize', (c) => {
    const q = new URL(c.req.url).searchParams;
    authorizationRequests.push(q);
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!clients.get(clientId)?.redirectUris.includes(redirectUri) || q.get('code_challenge_method') !== 'S256') {
      return c.text('invalid authorization request', 400);
    }
    const code = random();
    codes.set(code, { challenge: q.get('code_challenge') ?? '', clientId, redirectUri, scope: q.get('scope') ?? SCOPE });
    const back = new URL(redirectUri);
    back.search = new URLSearchParams({ code, state: q.get('state') ?? '', iss: options.responseIssuer ?? origin }).toString();
    return c.redirect(back.href, 302);
  });
  app.post('/token', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    tokenRequests.push(form);
    const noStore = { 'Cache-Control': 'no-store' };
    if (form.get('grant_type') === 'refresh_token') {
      const grant = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!grant || grant.used || revokedFamilies.has(grant.family) || grant.clientId !== form.get('client_id')) {
        // A rotated-out token used again means it leaked: the whole family goes.
        if (grant?.used) revokedFamilies.add(grant.family);
        return c.json({ error: 'invalid_grant', error_description: 'The refresh token is not valid.' }, 400, noStore);
      }
      grant.used = true;
      return c.json(issue(grant.clientId, grant.scope, grant.family), 200, noStore);
    }
    const code = form.get('code') ?? '';
    const grant = codes.get(code);
    codes.delete(code);
    const verifier = form.get('code_verifier') ?? '';
    if (
      !grant ||
      grant.clientId !== form.get('client_id') ||
      grant.redirectUri !== form.get('redirect_uri') ||
      createHash('sha256').update(verifier).digest('base64url') !== grant.challenge
    ) {
      return c.json({ error: 'invalid_grant' }, 400, noStore);
    }
    return c.json(issue(grant.clientId, grant.scope), 200, noStore);
  });

  app.post('/mcp', async (c) => {
    const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    const expiry = token ? accessTokens.get(token) : undefined;
    if (expiry === undefined || expiry <= Date.now()) {
      return c.json({ error: 'invalid_token' }, 401, {
        'WWW-Authenticate': `Bearer error="invalid_token", scope="${SCOPE}", resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
      });
    }
    const server = new McpServer({ name: 'test-stocks', version: '1.0.0' });
    server.registerTool(
      'echo',
      { description: 'Returns the text it is given.', inputSchema: { text: z.string() }, outputSchema: { echo: z.string() } },
      async ({ text }) => ({ content: [{ type: 'text', text }], structuredContent: { echo: text } }),
    );
    server.registerTool('fail', { description: 'Always fails.' }, async () => ({
      content: [{ type: 'text', text: 'it failed' }],
      isError: true,
    }));
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    return transport.handleRequest(c.req.raw);
  });

  // The client under test runs in this process: its SDK must see fetch's own Response.
  const listening = await listen(app, { overrideGlobalObjects: false });
  origin = listening.url;
  return {
    ...listening,
    mcpUrl: `${origin}/mcp`,
    issuedTokens,
    authorizationRequests,
    tokenRequests,
    registrations,
    revocations,
    expireAccessTokens: () => {
      for (const token of accessTokens.keys()) accessTokens.set(token, 0);
    },
    revokeRefreshTokens: () => {
      for (const { family } of refreshTokens.values()) revokedFamilies.add(family);
    },
  };
}
