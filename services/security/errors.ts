/**
 * Why a request was refused, as error classes with a machine-readable `code` (after `jose`).
 * Each carries the HTTP status and the RFC 6750 error code its response uses; the message is
 * safe to show to the caller: it never contains the token.
 */

/** The RFC 6750 §3.1 error codes a resource server puts in `WWW-Authenticate`. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export abstract class ResourceServerError extends Error {
  abstract readonly code: string;
  abstract readonly status: 400 | 401 | 403 | 503;
  /** The RFC 6750 error code, or undefined when the challenge carries none (no token at all). */
  abstract readonly bearerError: BearerErrorCode | undefined;
}

/** No bearer token in the `Authorization` header (RFC 6750 §3.1: the challenge has no error code). */
export class MissingTokenError extends ResourceServerError {
  override name = 'MissingTokenError';
  readonly code = 'ERR_TOKEN_MISSING';
  readonly status = 401;
  readonly bearerError = undefined;
  constructor() {
    super('This resource needs an access token in the Authorization header: Authorization: Bearer <token>.');
  }
}

/** The `Authorization` header is not a well-formed bearer credential (RFC 6750 §2.1). */
export class InvalidRequestError extends ResourceServerError {
  override name = 'InvalidRequestError';
  readonly code = 'ERR_INVALID_REQUEST';
  readonly status = 400;
  readonly bearerError = 'invalid_request';
}

/**
 * The token is malformed, not signed by a trusted key, expired, or not meant for this resource.
 * `reason` says which check failed (our own `ERR_TOKEN_*` codes or the `jose` error code),
 * `claim` names the failing claim where there is one.
 */
export class InvalidTokenError extends ResourceServerError {
  override name = 'InvalidTokenError';
  readonly code = 'ERR_TOKEN_INVALID';
  readonly status = 401;
  readonly bearerError = 'invalid_token';
  constructor(
    message: string,
    readonly reason: string,
    readonly claim?: string,
  ) {
    super(message);
  }
}

/** The token is valid but does not grant the scope this resource requires. */
export class InsufficientScopeError extends ResourceServerError {
  override name = 'InsufficientScopeError';
  readonly code = 'ERR_INSUFFICIENT_SCOPE';
  readonly status = 403;
  readonly bearerError = 'insufficient_scope';
  constructor(readonly requiredScope: string) {
    super(`The access token does not grant the scope "${requiredScope}" this resource requires; ask for it when authorising.`);
  }
}

/**
 * The keys to verify the token could not be fetched (time-out, network, bad JWKS response).
 * Fail closed: nothing passes, and the caller learns that it may retry.
 */
export class KeySetUnavailableError extends ResourceServerError {
  override name = 'KeySetUnavailableError';
  readonly code = 'ERR_JWKS_UNAVAILABLE';
  readonly status = 503;
  readonly bearerError = undefined;
  constructor(options?: { cause?: unknown }) {
    super('The keys needed to verify access tokens are unavailable right now; retry shortly.', options);
  }
}
