/**
 * Authorization server metadata (RFC 8414), served at the issuer's well-known path, at the
 * path-inserted form, and as `openid-configuration` in both forms; and the JWKS.
 */
import { Hono } from 'hono';
import type { AuthorizationServerConfig } from './config.ts';
import type { SigningKeys } from './keys.ts';
import { AS_PATHS, GRANT_TYPE, OFFLINE_ACCESS } from '@mcp-secured-api/contracts';

export function metadataDocument(config: AuthorizationServerConfig) {
  const at = (path: string) => `${config.loginOrigin}${path}`;
  const refresh = config.refreshTokenTtlSeconds > 0;
  return {
    issuer: config.issuer,
    authorization_endpoint: at(AS_PATHS.authorize),
    token_endpoint: at(AS_PATHS.token),
    registration_endpoint: at(AS_PATHS.registration),
    introspection_endpoint: at(AS_PATHS.introspect),
    revocation_endpoint: at(AS_PATHS.revoke),
    jwks_uri: at(AS_PATHS.jwks),
    scopes_supported: refresh ? [config.scope, OFFLINE_ACCESS] : [config.scope],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [GRANT_TYPE.authorizationCode, ...(refresh ? [GRANT_TYPE.refreshToken] : []), GRANT_TYPE.tokenExchange],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: true,
    subject_types_supported: ['public'],
  };
}

export function metadataRoutes(config: AuthorizationServerConfig, keys: SigningKeys): Hono {
  const app = new Hono();
  const body = JSON.stringify(metadataDocument(config));
  const headers = { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' };
  for (const name of ['oauth-authorization-server', 'openid-configuration']) {
    app.get(`${AS_PATHS.issuer}/.well-known/${name}`, (c) => c.body(body, 200, headers));
    app.get(`/.well-known/${name}${AS_PATHS.issuer}`, (c) => c.body(body, 200, headers));
  }
  app.get(AS_PATHS.jwks, async (c) => c.body(await keys.jwks(), 200, { ...headers, 'Cache-Control': 'public, max-age=60' }));
  return app;
}
