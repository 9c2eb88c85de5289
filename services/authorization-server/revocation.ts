/** Revocation (RFC 7009): a client revokes its own tokens. */
import { Hono } from 'hono';
import type { ServerContext } from './context.ts';
import { OAuthError } from './errors.ts';
import { readForm } from './form.ts';
import { AS_PATHS } from '@mcp-secured-api/contracts';

export function revocationRoutes(ctx: ServerContext): Hono {
  const { clients, tokens } = ctx;
  const app = new Hono();

  app.post(AS_PATHS.revoke, async (c) => {
    const form = await readForm(c);
    const client = await clients.authenticate(c.req.header('authorization'), form);
    if (!form.token) throw new OAuthError('invalid_request', 'The token parameter is missing');
    // Unknown tokens and other clients' tokens are answered alike (RFC 7009 §2.2).
    await tokens.revoke(form.token, client.id);
    return c.body(null, 200, { 'Cache-Control': 'no-store' });
  });

  return app;
}
