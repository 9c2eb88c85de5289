/**
 * OAuth errors as exceptions that carry their response (RFC 6749 §5.2, RFC 7591 §3.2.2).
 */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    /** The machine-readable `error` value, e.g. `invalid_grant`. */
    readonly code: string,
    description: string,
    readonly status: 400 | 401 | 403 | 429 = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }

  toResponse(): Response {
    return new Response(JSON.stringify({ error: this.code, error_description: this.message }), {
      status: this.status,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache', ...this.headers },
    });
  }
}

/** A request to the browser-facing pages that cannot go on; shown as a page, never redirected. */
export class PageError extends Error {
  override name = 'PageError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: 400 | 403 | 429 = 400,
  ) {
    super(message);
  }
}
