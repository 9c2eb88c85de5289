/**
 * OAuth errors as exceptions that carry their response (RFC 6749 §5.2, RFC 7591 §3.2.2).
 */
export class OAuthError extends Error {
  override name = 'OAuthError';
  /** `ERR_OAUTH_` and the `error` value in capitals, e.g. `ERR_OAUTH_INVALID_GRANT`. */
  readonly code: string;
  constructor(
    /** The response's `error` value, e.g. `invalid_grant`. */
    readonly error: string,
    description: string,
    readonly status: 400 | 401 | 403 | 429 = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.code = `ERR_OAUTH_${error.toUpperCase()}`;
  }

  toResponse(): Response {
    return new Response(JSON.stringify({ error: this.error, error_description: this.message }), {
      status: this.status,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache', ...this.headers },
    });
  }
}

/** What a page error shows besides its message (see `ErrorView` in pages.ts). */
export interface PageErrorOptions {
  /** The headline in plain words; default "Cannot continue". */
  title?: string;
  /** The technical detail, shown small below the message. */
  detail?: string;
  /** A way back to the application, when its return address is known to be safe. */
  back?: { url: string; clientName: string };
  headers?: Record<string, string>;
}

/** A request to the browser-facing pages that cannot go on; shown as a page, never redirected. */
export class PageError extends Error {
  override name = 'PageError';
  /** `ERR_PAGE_` and the `error` value in capitals, e.g. `ERR_PAGE_CSRF`. */
  readonly code: string;
  constructor(
    /** The OAuth-style `error` value the page shows, e.g. `invalid_request`. */
    readonly error: string,
    /** What happened and what to do, in plain words. */
    message: string,
    readonly status: 400 | 403 | 429 = 400,
    readonly options: PageErrorOptions = {},
  ) {
    super(message);
    this.code = `ERR_PAGE_${error.toUpperCase()}`;
  }
}
