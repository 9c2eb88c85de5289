/**
 * The rules every agent client's metadata must follow, whether it registers (RFC 7591) or
 * publishes a Client ID Metadata Document. Unknown metadata (client_uri, logo_uri, contacts, …)
 * is accepted and ignored, as real clients send it.
 */
import { z } from 'zod';
import { OAuthError } from './errors.ts';
import { redirectUriProblem } from './redirect-uri.ts';
import type { GrantType } from './store.ts';
import { OFFLINE_ACCESS } from '@mcp-secured-api/contracts';

export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post';

export interface ClientMetadata {
  redirectUris: string[];
  clientName?: string;
  scope: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** `refresh_token` only when asked for and the server issues refresh tokens. */
  grantTypes: GrantType[];
}

const metadataSchema = z.looseObject({
  redirect_uris: z.array(z.unknown()).min(1, { message: 'must list at least one redirect URI' }).max(20),
  client_name: z.string().max(200).optional(),
  token_endpoint_auth_method: z.string().optional(),
  // Clients often ask for refresh tokens; when the server gives none, the response says so.
  grant_types: z.array(z.enum(['authorization_code', 'refresh_token'], { message: 'only authorization_code is supported' })).optional(),
  response_types: z.array(z.literal('code', { message: 'only the code response type is supported' })).optional(),
  scope: z.string().max(1000).optional(),
});

export function validateClientMetadata(
  input: unknown,
  options: {
    knownScopes: readonly string[];
    authMethods: readonly TokenEndpointAuthMethod[];
    defaultAuthMethod: TokenEndpointAuthMethod;
    /** Whether the server issues refresh tokens. */
    refreshTokens: boolean;
  },
): ClientMetadata {
  const parsed = metadataSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || 'the body';
    throw new OAuthError(
      issue.path[0] === 'redirect_uris' ? 'invalid_redirect_uri' : 'invalid_client_metadata',
      issue.path.length ? `${field} ${issue.message}` : 'the metadata must be a JSON object',
    );
  }
  const m = parsed.data;
  for (const uri of m.redirect_uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new OAuthError('invalid_redirect_uri', `redirect_uris: ${problem}`);
  }
  const method = (m.token_endpoint_auth_method ?? options.defaultAuthMethod) as TokenEndpointAuthMethod;
  if (!options.authMethods.includes(method)) {
    throw new OAuthError('invalid_client_metadata', `token_endpoint_auth_method must be one of: ${options.authMethods.join(', ')}`);
  }
  // offline_access is not a resource scope: whether a client may have refresh tokens is its grant types.
  const requested = m.scope?.split(' ').filter((s) => s && s !== OFFLINE_ACCESS) ?? [];
  const scopes = requested.length ? requested : [...options.knownScopes];
  const unknown = scopes.filter((s) => !options.knownScopes.includes(s));
  if (unknown.length)
    throw new OAuthError('invalid_client_metadata', `unknown scope: ${unknown.join(' ')}; known scopes: ${options.knownScopes.join(' ')}`);
  return {
    redirectUris: m.redirect_uris as string[],
    clientName: m.client_name,
    scope: scopes.join(' '),
    tokenEndpointAuthMethod: method,
    grantTypes:
      options.refreshTokens && m.grant_types?.includes('refresh_token') ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
  };
}
