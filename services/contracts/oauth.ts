/** OAuth URNs the parts exchange (RFC 8693 token exchange). */
export const GRANT_TYPE = {
  authorizationCode: 'authorization_code',
  refreshToken: 'refresh_token',
  tokenExchange: 'urn:ietf:params:oauth:grant-type:token-exchange',
} as const;

/** RFC 8693 §3 token type identifiers. */
export const TOKEN_TYPE = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const;

/** The scope by which a client asks for refresh tokens (OpenID Connect Core §11), granted only with the user's consent. */
export const OFFLINE_ACCESS = 'offline_access';
