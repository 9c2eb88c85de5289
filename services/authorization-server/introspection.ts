/**
 * Introspection (RFC 7662), for the gateway's client only. With `Accept: application/jwt` (the
 * phantom-token pattern): 200 with the JWT as the body and `Cache-Control: max-age=<seconds>`, the
 * token's remaining life but at most `introspectionCacheSeconds`, so a gateway that caches the
 * answer stops accepting a revoked token within that window; 204 for an inactive token; otherwise
 * RFC 7662 JSON.
 */
import { Hono } from 'hono';
import { decodeJwt } from 'jose';
import type { ServerContext } from './context.ts';
import { OAuthError } from './errors.ts';
import { readForm } from './form.ts';
import { AS_PATHS } from '@mcp-secured-api/contracts';

export function introspectionRoutes(ctx: ServerContext): Hono {
  const { clients, tokens, now, config } = ctx;
  const app = new Hono();

  app.post(AS_PATHS.introspect, async (c) => {
    const form = await readForm(c);
    const client = await clients.authenticate(c.req.header('authorization'), form);
    if (!client.capabilities.has('introspection')) throw new OAuthError('invalid_client', 'This client may not introspect tokens', 401);
    if (!form.token) throw new OAuthError('invalid_request', 'The token parameter is missing');
    const record = await tokens.active(form.token);
    const wantsJwt = /\bapplication\/jwt\b/i.test(c.req.header('accept') ?? '');
    if (wantsJwt) {
      if (!record) return c.body(null, 204, { 'Cache-Control': 'no-store' });
      return c.body(record.jwt, 200, {
        'Content-Type': 'application/jwt',
        'Cache-Control': `max-age=${Math.max(0, Math.min(config.introspectionCacheSeconds, record.expiresAt - now()))}`,
      });
    }
    if (!record) return c.json({ active: false }, 200, { 'Cache-Control': 'no-store' });
    return c.json({ active: true, token_type: 'bearer', ...decodeJwt(record.jwt) }, 200, { 'Cache-Control': 'no-store' });
  });

  return app;
}
