/**
 * Dynamic Client Registration (RFC 7591), open as the deployment's Curity configuration is:
 * public and confidential clients under the agent policy (code with PKCE; refresh tokens when the
 * server issues them and the client asks for the grant), limited per client address, and expiring
 * (the sweep removes expired registrations).
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { validateClientMetadata } from './client-rules.ts';
import type { ServerContext } from './context.ts';
import { OAuthError } from './errors.ts';
import { AS_PATHS, tokenHash } from '@mcp-secured-api/contracts';
import { rateLimit } from './rate-limit.ts';
import type { RegisteredClient } from './store.ts';
import { randomToken } from './tokens.ts';

export const REGISTRATION_TTL_SECONDS = 7 * 86_400;

export function registrationRoutes(ctx: ServerContext): Hono {
  const { config, store, now } = ctx;
  const app = new Hono();

  app.post(
    AS_PATHS.registration,
    rateLimit({
      limit: ctx.limits.registrationsPerMinute,
      windowSeconds: 60,
      what: 'registrations',
      trustProxy: config.trustProxy,
      count: ctx.countRequests('registrations'),
      now,
      refuse: (_c, retry, message) => new OAuthError('too_many_requests', message, 429, { 'Retry-After': String(retry) }).toResponse(),
    }),
    bodyLimit({
      maxSize: 16 * 1024,
      onError: () => new OAuthError('invalid_client_metadata', 'The registration request is larger than 16 KiB').toResponse(),
    }),
    async (c) => {
      if (!/^application\/json\b/i.test(c.req.header('content-type') ?? ''))
        throw new OAuthError('invalid_client_metadata', 'The body must be application/json');
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new OAuthError('invalid_client_metadata', 'The body is not valid JSON');
      }
      const metadata = validateClientMetadata(body, {
        knownScopes: [config.scope],
        authMethods: ['none', 'client_secret_basic', 'client_secret_post'],
        defaultAuthMethod: 'client_secret_basic',
        refreshTokens: config.refreshTokenTtlSeconds > 0,
      });
      const issuedAt = now();
      const secret = metadata.tokenEndpointAuthMethod === 'none' ? undefined : randomToken();
      const client: RegisteredClient = {
        clientId: randomUUID(),
        secretHash: secret && tokenHash(secret),
        tokenEndpointAuthMethod: metadata.tokenEndpointAuthMethod,
        redirectUris: metadata.redirectUris,
        clientName: metadata.clientName,
        scope: metadata.scope,
        grantTypes: metadata.grantTypes,
        issuedAt,
        expiresAt: issuedAt + REGISTRATION_TTL_SECONDS,
      };
      await store.clients.insert(client);
      return c.json(
        {
          client_id: client.clientId,
          client_id_issued_at: issuedAt,
          ...(secret && { client_secret: secret, client_secret_expires_at: client.expiresAt }),
          client_name: client.clientName,
          redirect_uris: client.redirectUris,
          grant_types: client.grantTypes,
          response_types: ['code'],
          token_endpoint_auth_method: client.tokenEndpointAuthMethod,
          scope: client.scope,
        },
        201,
        { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
      );
    },
  );

  return app;
}
