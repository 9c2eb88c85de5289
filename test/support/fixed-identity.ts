/**
 * Stand-ins for the security of the services, so that a benchmark can compose the very same apps
 * without it and measure what security costs. Not for production: the product's entry points
 * always wire `bearerAuth` and the token exchange.
 */
import type { MiddlewareHandler } from 'hono';
import type { AuthEnv } from '../../services/security/middleware.ts';
import type { AccessTokenClaims } from '../../services/security/verify-access-token.ts';
import type { ApiTokenProvider } from '../../services/mcp-server/token-exchange.ts';

/** Authenticates nobody: every request gets these claims (and no token). */
export function fixedIdentity(claims: Partial<AccessTokenClaims> & { sub: string; region: string }): MiddlewareHandler<AuthEnv> {
  const fixed = { scope: 'stocks/read', client_type: 'mcp', ...claims } as AccessTokenClaims;
  return async function fixedIdentityMiddleware(c, next) {
    c.set('claims', fixed);
    c.set('accessToken', '');
    await next();
  };
}

/** Calls the API without a token. */
export const noApiToken: ApiTokenProvider = { tokenFor: async () => undefined };
