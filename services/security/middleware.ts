/**
 * The Hono middleware that secures a resource: bearer token from the `Authorization` header, JWT
 * verified, scope required. Options are checked and the verifier (with its JWKS cache) built once,
 * when the middleware is created. Handlers read the verified claims with `c.get('claims')`.
 * A refusal is an `HTTPException` carrying its ready response.
 */
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { extractBearerToken } from './bearer.ts';
import { errorResponse } from './challenge.ts';
import { ResourceServerError } from './errors.ts';
import { requireScope } from './scope.ts';
import { createAccessTokenVerifier } from './verify-access-token.ts';
import type { AccessTokenClaims, AccessTokenVerifier, AccessTokenVerifierOptions } from './verify-access-token.ts';

/** What the middleware puts on the context. */
export interface AuthVariables {
  claims: AccessTokenClaims;
  /** The verified token itself, for a token exchange. Never log it or pass it on. */
  accessToken: string;
}
export type AuthEnv = { Variables: AuthVariables };

export type BearerAuthOptions = AccessTokenVerifierOptions & {
  requiredScope: string;
  /** Advertised in challenges so that clients can discover the authorization server (RFC 9728). */
  resourceMetadata?: string;
  /** Use this verifier instead of building one from the options above. */
  verifier?: AccessTokenVerifier;
};

export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler<AuthEnv> {
  const { requiredScope, resourceMetadata } = options;
  if (!requiredScope) throw new TypeError('requiredScope is required');
  const verify = options.verifier ?? createAccessTokenVerifier(options);
  const challenge = { resourceMetadata, scope: requiredScope };

  return async function bearerAuthMiddleware(c, next) {
    let claims: AccessTokenClaims;
    let token: string;
    try {
      token = extractBearerToken(c.req.header('authorization'));
      claims = await verify(token);
      requireScope(claims.scope, requiredScope);
    } catch (err) {
      if (err instanceof ResourceServerError) {
        throw new HTTPException(err.status, { res: errorResponse(err, challenge), message: err.message, cause: err });
      }
      throw err;
    }
    c.set('claims', claims);
    c.set('accessToken', token);
    await next();
  };
}
