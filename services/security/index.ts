/** Resource-server security shared by the services. */
export * from './errors.ts';
export { extractBearerToken } from './bearer.ts';
export { createAccessTokenVerifier } from './verify-access-token.ts';
export type { AccessTokenClaims, AccessTokenVerifier, AccessTokenVerifierOptions } from './verify-access-token.ts';
export { hasScope, requireScope } from './scope.ts';
export { bearerChallenge, errorResponse } from './challenge.ts';
export type { ChallengeParameters } from './challenge.ts';
export { bearerAuth } from './middleware.ts';
export type { AuthEnv, AuthVariables, BearerAuthOptions } from './middleware.ts';
export { dnsRebindingProtection } from './dns-rebinding.ts';
export type { DnsRebindingOptions } from './dns-rebinding.ts';
export { protectedResourceMetadata } from './protected-resource-metadata.ts';
export type { ProtectedResourceMetadata } from './protected-resource-metadata.ts';
export {
  readEnvironment,
  ResourceServerEnvironmentError,
  jwtEnvironment,
  httpUrl,
  listenAddress,
  origin,
  port,
  originList,
} from './env.ts';
