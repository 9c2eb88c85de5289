/**
 * The authorization server's paths: Curity's, so that gateway, services and clients cannot tell
 * which server runs. Kept equal to `AS_PATHS` of the deployment model (a test checks it); defined
 * here so that the service does not load the deployment code at run time.
 */
export const PATHS = {
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

/** The sign-in and consent pages, under `PATHS.authn`. */
export const PAGES = {
  email: '/authn/authenticate',
  code: '/authn/authenticate/code',
  consent: '/authn/consent',
} as const;

export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TOKEN_TYPE_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
export const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';
