/**
 * The contracts shared by the deployment and the services: the authorization server's paths, the
 * well-known metadata paths, OAuth URNs, client credentials, the hash under which bearer values are
 * kept, the log shape, and how bounded caches read the clock. No dependencies, so that every
 * service image can carry it.
 */
export { AS_PATHS, WELL_KNOWN, authorizationServerMetadataUrl, protectedResourceMetadataUrl } from './paths.ts';
export { GRANT_TYPE, OFFLINE_ACCESS, TOKEN_SIGNING_ALGORITHM_EXPECTED, TOKEN_SIGNING_ALGORITHMS, TOKEN_TYPE } from './oauth.ts';
export type { TokenSigningAlgorithm } from './oauth.ts';
export { basicAuthorization, parseBasicAuthorization } from './basic-auth.ts';
export { createLogger, redact, silentLogger } from './log.ts';
export { LRU_CLOCK_EVERY_TIME } from './lru-clock.ts';
export { tokenHash } from './token-hash.ts';
export type { Logger, LogFields, LoggerOptions, LogLevel } from './log.ts';
