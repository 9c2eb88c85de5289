import { InvalidRequestError, MissingTokenError } from './errors.ts';

/**
 * The bearer token from an `Authorization` header value (RFC 6750 §2.1; the scheme is
 * case-insensitive). Only the header is read, never the query string or the body. No header, or
 * another scheme, counts as no token; more than one credential is an invalid request. The token
 * itself is checked by the verifier, so that any bad token is answered `invalid_token`.
 */
export function extractBearerToken(authorization: string | undefined | null): string {
  if (!authorization) throw new MissingTokenError();
  const [scheme, ...credentials] = authorization.trim().split(/\s+/);
  if (scheme?.toLowerCase() !== 'bearer' || credentials.length === 0) throw new MissingTokenError();
  if (credentials.length > 1) {
    throw new InvalidRequestError('The Authorization header must be "Bearer" followed by exactly one token.');
  }
  return credentials[0]!;
}
