/**
 * The MCP server's client of the stocks API: bounded in time and size, connections kept alive,
 * responses validated. Failures are errors whose message an agent can act on.
 */
import { Pool } from 'undici';
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
  /** Closes the kept-alive connections. */
  close(): Promise<void>;
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
  const seconds = timeoutMs / 1000;
  // undici's own request API on kept-alive connections: fetch would build a Request, a Response,
  // a body stream and an abort signal for every call (about seven times the CPU per call).
  // undici's time-outs tick once a second: a silent API is given up between timeoutMs and a
  // second more, without a timer of ours per call.
  const pool = new Pool(base.origin, {
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    maxResponseSize: MAX_RESPONSE_BYTES,
  });
  const basePath = base.pathname.replace(/\/$/, '');

  async function get(path: string, token: string | undefined): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let status: number;
    let text: string;
    try {
      const response = await pool.request({ method: 'GET', path: basePath + path, headers });
      status = response.statusCode;
      if (status !== 200) {
        await response.body.dump();
        const challenge = response.headers['www-authenticate'];
        if (status === 401 || status === 403)
          throw new ApiAuthorizationError(status, typeof challenge === 'string' ? challenge : undefined);
        if (status === 404) return { status, json: undefined };
        throw new UpstreamError('ERR_API_FAILED', `The stocks API failed (HTTP ${status}); try again later.`);
      }
      text = await response.body.text();
    } catch (err) {
      if (err instanceof ApiAuthorizationError || err instanceof UpstreamError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw new UpstreamError('ERR_API_TIMEOUT', `The stocks API did not answer within ${seconds} s; try again in a moment.`, {
          cause: err,
        });
      }
      if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
        throw new UpstreamError('ERR_API_RESPONSE', 'The stocks API answered with more data than expected; try again later.', {
          cause: err,
        });
      }
      throw new UpstreamError('ERR_API_UNREACHABLE', 'The stocks API cannot be reached; try again later.', { cause: err });
    }
    try {
      return { status, json: JSON.parse(text) };
    } catch (err) {
      throw new UpstreamError('ERR_API_RESPONSE', 'The stocks API answered with invalid JSON; try again later.', { cause: err });
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
    close: () => pool.close(),
  };
}

/** Far more than the whole list of stocks: anything larger is not an answer of the stocks API. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
