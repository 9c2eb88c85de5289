/**
 * The MCP server: stateless Streamable HTTP (the SDK's web-standard transport) on Hono. It
 * validates the JWT the gateway forwards (audience: this MCP resource), exchanges it for an API
 * token (RFC 8693) and calls the stocks API. Security is the middleware at the top: DNS-rebinding
 * protection, then bearer authentication; the MCP endpoint caps the body it reads.
 */
import { Hono } from 'hono';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { createLogger, protectedResourceMetadataUrl, WELL_KNOWN, type Logger } from '@mcp-secured-api/contracts';
import {
  bearerAuth,
  dnsRebindingProtection,
  errorResponse,
  InsufficientScopeError,
  InvalidTokenError,
  protectedResourceMetadata,
  type AccessTokenVerifierOptions,
  type AuthEnv,
} from '@mcp-secured-api/security';
import { jsonRpcError, statelessMcpHandler } from './stateless-mcp.ts';
import { createStocksClient } from './stocks-client.ts';
import { createTokenExchanger } from './token-exchange.ts';
import type { ApiTokenProvider, TokenExchangeOptions } from './token-exchange.ts';
import { createStockTools } from './tools.ts';
import type { CallContext } from './tools.ts';

export const SERVER_INFO = { name: 'stocks-mcp-server', version: '0.1.0' } as const;

export type McpServerConfig = {
  /** The public origin clients and the gateway use, e.g. https://mcp.demo.example (Host is checked against it). */
  publicOrigin: string;
  /** Further origins browsers may call from (e.g. MCP Inspector). */
  allowedOrigins?: string[];
  /** The MCP resource identifier, e.g. https://mcp.demo.example/ (the audience of accepted tokens). */
  resource: string;
  resourceName: string;
  /** The authorization server's issuer, advertised in the protected-resource metadata. */
  issuer: string;
  requiredScope: string;
  apiBaseUrl: string;
  /** Time-out of one API call in milliseconds. Default: 5000. */
  apiTimeoutMs?: number;
  /** Largest accepted request body in bytes. Default: 100 KiB. */
  maxBodyBytes?: number;
  /** Told of each failed upstream call and unexpected error (never a token). Default: standard output and error. */
  log?: Logger;
} & (
  | { /** Validation of incoming JWTs (the audience is `resource`). */ jwt: Omit<AccessTokenVerifierOptions, 'audience'> }
  | {
      /** A ready middleware that sets `claims` and `accessToken` (benchmarks compose the app without security). */ authenticate: MiddlewareHandler<AuthEnv>;
    }
) &
  (
    | { /** How to exchange incoming tokens for API tokens. */ tokenExchange: TokenExchangeOptions }
    | { /** Another source of API tokens (benchmarks). */ apiTokenProvider: ApiTokenProvider }
  );

export function createMcpServer(config: McpServerConfig): Hono<AuthEnv> {
  const resource = new URL(config.resource);
  if (resource.origin !== new URL(config.publicOrigin).origin) {
    throw new TypeError(`resource ${config.resource} must be on the public origin ${config.publicOrigin}`);
  }
  const mcpPath = resource.pathname.length > 1 ? resource.pathname.replace(/\/$/, '') : '/';
  const metadataUrl = protectedResourceMetadataUrl(config.resource);
  const challenge = { resourceMetadata: metadataUrl.href, scope: config.requiredScope };
  const metadata = protectedResourceMetadata({
    resource: config.resource,
    issuer: config.issuer,
    scope: config.requiredScope,
    resourceName: config.resourceName,
  });
  const log = config.log ?? createLogger();
  const authenticate =
    'authenticate' in config
      ? config.authenticate
      : bearerAuth({ ...config.jwt, audience: config.resource, requiredScope: config.requiredScope, resourceMetadata: metadataUrl.href });
  const apiTokens = 'apiTokenProvider' in config ? config.apiTokenProvider : createTokenExchanger(config.tokenExchange);
  const tools = createStockTools({
    stocks: createStocksClient({ baseUrl: config.apiBaseUrl, timeoutMs: config.apiTimeoutMs }),
    apiTokens,
    log,
  });
  const handleMcpPost = statelessMcpHandler({
    serverInfo: SERVER_INFO,
    tools,
    maxBodyBytes: config.maxBodyBytes ?? 100 * 1024,
  });

  const app = new Hono<AuthEnv>();

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.use('*', dnsRebindingProtection({ publicOrigin: config.publicOrigin, allowedOrigins: config.allowedOrigins }));

  // RFC 9728: at the well-known path, and in the path-inserted form when the resource has a path.
  for (const path of new Set([WELL_KNOWN.protectedResource, metadataUrl.pathname])) {
    app.get(path, (c) => c.json(metadata));
  }

  app.use(mcpPath, authenticate);

  app.post(mcpPath, async (c) => {
    const call: CallContext = { subject: { token: c.get('accessToken'), claims: c.get('claims') } };
    // Every tool needs an API token: for a token not seen before, the exchange starts as soon as
    // the token is verified, while the body is read and dispatched, and a session's first tool
    // call finds it done when an initialize or tools/list came first.
    apiTokens.prefetch?.(call.subject);
    const response = await handleMcpPost(c.req.raw, call);
    // The API refused the exchanged token: answer as the MCP authorization spec says, so that the
    // client re-authorises (401) or asks for the missing scope (403).
    const refusal = call.apiAuthorizationError;
    if (!refusal) return response;
    await response.body?.cancel();
    const error =
      refusal.status === 403
        ? new InsufficientScopeError(config.requiredScope)
        : new InvalidTokenError(refusal.message, 'ERR_API_REFUSED_TOKEN');
    return errorResponse(error, challenge);
  });

  // Stateless: no SSE stream to open (GET) and no session to end (DELETE).
  app.all(mcpPath, (c) => {
    c.header('allow', 'POST');
    return c.json(jsonRpcError(-32000, 'Method not allowed: this stateless MCP server accepts POST only.'), 405);
  });

  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    log.error('unexpected error', { method: c.req.method, path: c.req.path, reason: err.message });
    return c.json(jsonRpcError(-32603, 'Internal error.'), 500);
  });
  return app;
}
