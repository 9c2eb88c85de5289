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

/**
 * The JWS algorithms access tokens may be signed with (ES256: P-256; EdDSA: Ed25519; PS256: RSA
 * 2048), as the deployment's setting and the built-in server's both name them.
 */
export const TOKEN_SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'PS256'] as const;
export type TokenSigningAlgorithm = (typeof TOKEN_SIGNING_ALGORITHMS)[number];
/** What a configuration error says of a value that is not one of them. */
export const TOKEN_SIGNING_ALGORITHM_EXPECTED = 'must be "ES256", "EdDSA" or "PS256"';

/** The scope by which a client asks for refresh tokens (OpenID Connect Core §11), granted only with the user's consent. */
export const OFFLINE_ACCESS = 'offline_access';
