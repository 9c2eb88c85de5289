/**
 * The MCP server's client of the stocks API: bounded in time, connections kept alive by Node's
 * fetch, responses validated. Failures are errors whose message an agent can act on.
 */
import { z } from 'zod';

export const stockSchema = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  price: z.number(),
});
export type Stock = z.infer<typeof stockSchema>;
const stockListSchema = z.array(stockSchema);

export interface StocksClientOptions {
  baseUrl: string;
  /** Time-out of one API call, in milliseconds. Default: 5000. */
  timeoutMs?: number;
}

export interface StocksClient {
  listStocks(token: string | undefined): Promise<Stock[]>;
  /** The stock, or undefined when the API does not show it to this caller. */
  getStock(token: string | undefined, id: string): Promise<Stock | undefined>;
}

/** The API could not be used (time-out, network, server error, unusable answer). */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    readonly code: 'ERR_API_TIMEOUT' | 'ERR_API_UNREACHABLE' | 'ERR_API_FAILED' | 'ERR_API_RESPONSE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The API refused the token (401) or its scope (403). */
export class ApiAuthorizationError extends Error {
  override name = 'ApiAuthorizationError';
  readonly code = 'ERR_API_UNAUTHORIZED';
  constructor(
    readonly status: 401 | 403,
    /** The API's WWW-Authenticate challenge, if any. */
    readonly challenge: string | undefined,
  ) {
    super(
      status === 401
        ? 'The stocks API did not accept the access token obtained for you; sign in again.'
        : 'The stocks API requires a scope your access token does not grant; authorise again with that scope.',
    );
  }
}

export function createStocksClient(options: StocksClientOptions): StocksClient {
  const base = new URL(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 5000;

  async function get(path: string, token: string | undefined): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const url = new URL(path, base);
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await fetch(url, { headers, redirect: 'error', signal });
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        throw new ApiAuthorizationError(res.status, res.headers.get('www-authenticate') ?? undefined);
      }
      if (res.status === 404) {
        await res.body?.cancel();
        return { status: 404, json: undefined };
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new UpstreamError('ERR_API_FAILED', `The stocks API failed (HTTP ${res.status}); try again later.`);
      }
      return { status: res.status, json: await res.json() };
    } catch (err) {
      if (err instanceof ApiAuthorizationError || err instanceof UpstreamError) throw err;
      if (err instanceof Error && err.name === 'TimeoutError') {
        throw new UpstreamError('ERR_API_TIMEOUT', `The stocks API did not answer within ${timeoutMs / 1000} s; try again in a moment.`, {
          cause: err,
        });
      }
      if (err instanceof SyntaxError)
        throw new UpstreamError('ERR_API_RESPONSE', 'The stocks API answered with invalid JSON; try again later.', { cause: err });
      throw new UpstreamError('ERR_API_UNREACHABLE', 'The stocks API cannot be reached; try again later.', { cause: err });
    }
  }

  function parse<T>(schema: z.ZodType<T>, json: unknown): T {
    const result = schema.safeParse(json);
    if (!result.success) throw new UpstreamError('ERR_API_RESPONSE', 'The stocks API answered in an unexpected form; try again later.');
    return result.data;
  }

  return {
    async listStocks(token) {
      const { status, json } = await get('/stocks', token);
      if (status === 404) throw new UpstreamError('ERR_API_FAILED', 'The stocks API has no /stocks endpoint; check API_BASE_URL.');
      return parse(stockListSchema, json);
    },
    async getStock(token, id) {
      const { status, json } = await get(`/stocks/${encodeURIComponent(id)}`, token);
      return status === 404 ? undefined : parse(stockSchema, json);
    },
  };
}
