/**
 * A request that fails because the server reset or closed the connection before answering is
 * sent again on another connection, as browsers do: a kept-alive connection the server closed
 * (its idle time-out) just as it was reused fails so, and the request never reached the server.
 * A busy machine makes it likelier, since the client may reuse a connection late.
 */
import type { FetchLike } from '@modelcontextprotocol/client';

/** Tries in all: every idle connection to a server may have been closed at once. */
const ATTEMPTS = 3;

/** Whether fetch's failure is a connection reset or closed by the other side before any answer. */
export function connectionReset(err: unknown): boolean {
  const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET';
}

/** `fetchFn`, sending a request again after a reset, when its body can be sent again (none or text). */
export function resendOnReset(fetchFn: FetchLike = fetch): FetchLike {
  return async (url, init) => {
    const replayable = init?.body === undefined || init.body === null || typeof init.body === 'string';
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetchFn(url, init);
      } catch (err) {
        if (!replayable || attempt >= ATTEMPTS || !connectionReset(err) || init?.signal?.aborted) throw err;
      }
    }
  };
}
