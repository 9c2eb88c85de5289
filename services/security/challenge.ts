/**
 * Error responses of a resource server: RFC 6750 §3 `WWW-Authenticate: Bearer` challenges with
 * RFC 9728's `resource_metadata`, and a small JSON body saying what is wrong (never the token).
 */
import type { ResourceServerError } from './errors.ts';

export interface ChallengeParameters {
  /** URL of the protected-resource metadata (RFC 9728 §5.1). */
  resourceMetadata?: string;
  /** The scope the resource requires. */
  scope?: string;
}

/**
 * The `WWW-Authenticate` value for an error. With no token at all there is no error code
 * (RFC 6750 §3.1), only where to learn how to get one.
 */
export function bearerChallenge(error: Pick<ResourceServerError, 'bearerError'>, parameters: ChallengeParameters): string {
  const params: string[] = [];
  if (error.bearerError) params.push(`error="${error.bearerError}"`);
  if (parameters.resourceMetadata) params.push(`resource_metadata="${parameters.resourceMetadata}"`);
  if (parameters.scope) params.push(`scope="${parameters.scope}"`);
  return params.length ? `Bearer ${params.join(', ')}` : 'Bearer';
}

/** The complete response for a refused request. */
export function errorResponse(error: ResourceServerError, parameters: ChallengeParameters): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  if (error.status === 401 || error.status === 403 || error.status === 400) {
    headers.set('www-authenticate', bearerChallenge(error, parameters));
  }
  if (error.status === 503) headers.set('retry-after', '5');
  const body = {
    error: error.bearerError ?? (error.status === 503 ? 'temporarily_unavailable' : 'unauthorized'),
    error_description: error.message,
  };
  return new Response(JSON.stringify(body), { status: error.status, headers });
}
