/**
 * The authorization server's paths: Curity's, so that the gateway, the services and clients cannot
 * tell whether Curity or the built-in server runs. Every part builds its URLs from these.
 */
export const AS_PATHS = {
  issuer: '/oauth/v2/oauth-anonymous',
  authorize: '/oauth/v2/oauth-authorize',
  token: '/oauth/v2/oauth-token',
  introspect: '/oauth/v2/oauth-introspect',
  registration: '/oauth/v2/oauth-registration',
  revoke: '/oauth/v2/oauth-revoke',
  userinfo: '/oauth/v2/oauth-userinfo',
  jwks: '/oauth/v2/oauth-anonymous/jwks',
  authn: '/authn/',
} as const;

/** Well-known paths (RFC 8615) of the metadata documents. */
export const WELL_KNOWN = {
  /** RFC 9728: OAuth 2.0 Protected Resource Metadata. */
  protectedResource: '/.well-known/oauth-protected-resource',
  /** RFC 8414: OAuth 2.0 Authorization Server Metadata. */
  authorizationServer: '/.well-known/oauth-authorization-server',
  /** OpenID Connect Discovery 1.0. */
  openidConfiguration: '/.well-known/openid-configuration',
} as const;

/**
 * Where a resource's metadata lives (RFC 9728 §3.1): the well-known path inserted between the
 * host and the resource's path, with a terminating slash removed. For `https://mcp.example/` it is
 * `https://mcp.example/.well-known/oauth-protected-resource`.
 */
export function protectedResourceMetadataUrl(resource: string): URL {
  const url = new URL(resource);
  const path = url.pathname.replace(/\/$/, '');
  return new URL(`${WELL_KNOWN.protectedResource}${path}${url.search}`, url.origin);
}

/**
 * Where an issuer's metadata lives (RFC 8414 §3.1): the well-known path inserted between the host
 * and the issuer's path. For `https://login.example/oauth/v2/oauth-anonymous` it is
 * `https://login.example/.well-known/oauth-authorization-server/oauth/v2/oauth-anonymous`.
 */
export function authorizationServerMetadataUrl(issuer: string): URL {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, '');
  return new URL(`${WELL_KNOWN.authorizationServer}${path}`, url.origin);
}
