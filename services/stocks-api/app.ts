/**
 * The stocks API: an existing OAuth-secured API the MCP server exposes to agents. Every route but
 * /health requires a JWT access token for the API's audience with the configured scope; the
 * user's `region` claim decides what they may see.
 */
import { Hono } from 'hono';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { createLogger, type Logger } from '@mcp-secured-api/contracts';
import { bearerAuth, type AuthEnv, type BearerAuthOptions } from '@mcp-secured-api/security';
import { findStock, stocksInRegion } from './stocks.ts';

export type StocksApiConfig = {
  /** Told of each request (never a token) and each failure. Default: standard output and error. */
  log?: Logger;
} & (
  | { /** Token validation for the secure middleware. */ jwt: BearerAuthOptions }
  | {
      /** A ready authentication middleware that sets `claims` (benchmarks compose the app without security). */ authenticate: MiddlewareHandler<AuthEnv>;
    }
);

export function createStocksApi(config: StocksApiConfig): Hono<AuthEnv> {
  const authenticate = 'authenticate' in config ? config.authenticate : bearerAuth(config.jwt);
  const log = config.log ?? createLogger();
  const app = new Hono<AuthEnv>();

  app.get('/health', (c) => c.json({ status: 'ok' }));

  // '/stocks/*' also matches '/stocks'.
  app.use('/stocks/*', requestLog(log), authenticate);

  app.get('/stocks', (c) => c.json(stocksInRegion(regionOf(c.get('claims')))));
  app.get('/stocks/:id', (c) => {
    const stock = findStock(c.req.param('id'), regionOf(c.get('claims')));
    if (!stock) return c.json({ error: 'not_found', error_description: 'No such stock in your region.' }, 404);
    return c.json(stock);
  });

  app.notFound((c) => c.json({ error: 'not_found', error_description: `No route for ${c.req.method} ${c.req.path}.` }, 404));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    log.error('request failed', { method: c.req.method, path: c.req.path, reason: err.message });
    return c.json({ error: 'server_error', error_description: 'The request failed unexpectedly; try again later.' }, 500);
  });
  return app;
}

function regionOf(claims: AuthEnv['Variables']['claims']): string {
  if (!claims.region) {
    throw new HTTPException(403, {
      res: Response.json(
        { error: 'access_denied', error_description: 'The access token carries no region claim, so no stocks can be shown.' },
        { status: 403 },
      ),
    });
  }
  return claims.region;
}

/** One line per request: who (subject, client type, actor), what, and the outcome. Never a token. */
function requestLog(log: Logger): MiddlewareHandler<AuthEnv> {
  return async function requestLogMiddleware(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      const claims = c.get('claims');
      log.info('request', {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        sub: claims?.sub,
        client_type: claims?.client_type,
        client_assurance_level: claims?.client_assurance_level,
        actor: claims?.act?.sub,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
    }
  };
}
