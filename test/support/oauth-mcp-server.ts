/**
 * A small MCP server protected by a tiny authorization server on one loopback origin, for the
 * client's tests: protected-resource and authorization-server metadata, Dynamic Client
 * Registration, an authorization endpoint that approves at once (as a person would), a token
 * endpoint checking PKCE, and opaque tokens with a lifetime. It records what the client sent.
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
}

export interface TestServer extends Listening {
  mcpUrl: string;
  /** Every access token issued, to check none is ever shown. */
  issuedTokens: string[];
  /** Query of every authorization request. */
  authorizationRequests: URLSearchParams[];
}

const SCOPE = 'stocks/read';

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  let origin = '';
  const clients = new Map<string, string[]>();
  const codes = new Map<string, { challenge: string; clientId: string; redirectUri: string }>();
  const tokens = new Map<string, number>();
  const issuedTokens: string[] = [];
  const authorizationRequests: URLSearchParams[] = [];
  const random = () => randomBytes(24).toString('base64url');

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
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      scopes_supported: [SCOPE],
      authorization_response_iss_parameter_supported: true,
    }),
  );
  app.post('/register', async (c) => {
    const body = (await c.req.json()) as { redirect_uris?: string[] };
    const clientId = random();
    clients.set(clientId, body.redirect_uris ?? []);
    return c.json({ ...body, client_id: clientId, token_endpoint_auth_method: 'none' }, 201);
  });
  app.get('/authorize', (c) => {
    const q = new URL(c.req.url).searchParams;
    authorizationRequests.push(q);
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!clients.get(clientId)?.includes(redirectUri) || q.get('code_challenge_method') !== 'S256') {
      return c.text('invalid authorization request', 400);
    }
    const code = random();
    codes.set(code, { challenge: q.get('code_challenge') ?? '', clientId, redirectUri });
    const back = new URL(redirectUri);
    back.search = new URLSearchParams({ code, state: q.get('state') ?? '', iss: options.responseIssuer ?? origin }).toString();
    return c.redirect(back.href, 302);
  });
  app.post('/token', async (c) => {
    const form = await c.req.parseBody();
    const grant = codes.get(String(form.code));
    codes.delete(String(form.code));
    const verifier = String(form.code_verifier ?? '');
    if (
      !grant ||
      grant.clientId !== form.client_id ||
      grant.redirectUri !== form.redirect_uri ||
      createHash('sha256').update(verifier).digest('base64url') !== grant.challenge
    ) {
      return c.json({ error: 'invalid_grant' }, 400);
    }
    const token = random();
    const ttl = options.tokenTtlSeconds ?? 900;
    tokens.set(token, Date.now() + ttl * 1000);
    issuedTokens.push(token);
    return c.json({ access_token: token, token_type: 'Bearer', expires_in: ttl, scope: SCOPE }, 200, { 'Cache-Control': 'no-store' });
  });

  app.post('/mcp', async (c) => {
    const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    const expiry = token ? tokens.get(token) : undefined;
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

  const listening = await listen(app);
  origin = listening.url;
  return { ...listening, mcpUrl: `${origin}/mcp`, issuedTokens, authorizationRequests };
}
