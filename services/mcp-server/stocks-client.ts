/**
 * The MCP server's client of the stocks API: bounded in time and size, connections kept alive,
 * responses validated. Failures are errors whose message an agent can act on.
 */
import http from 'node:http';
import https from 'node:https';
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
  const seconds = timeoutMs / 1000;
  const transport = base.protocol === 'https:' ? https : http;
  // Node's own client on kept-alive connections: a web-standard fetch would build a Request, a
  // Response, a body stream and an abort signal for every call.
  const agent = new transport.Agent({ keepAlive: true, scheduling: 'lifo' });

  function get(path: string, token: string | undefined): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const url = new URL(path, base);
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      const request = transport.get(url, { headers, agent }, (response) => {
        const status = response.statusCode ?? 0;
        if (status !== 200) {
          response.resume();
          clearTimeout(timer);
          if (status === 401 || status === 403) reject(new ApiAuthorizationError(status, response.headers['www-authenticate']));
          else if (status === 404) resolve({ status, json: undefined });
          else reject(new UpstreamError('ERR_API_FAILED', `The stocks API failed (HTTP ${status}); try again later.`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            request.destroy(
              new UpstreamError('ERR_API_RESPONSE', 'The stocks API answered with more data than expected; try again later.'),
            );
          } else chunks.push(chunk);
        });
        response.on('error', (err) => fail(unreachable(err)));
        response.on('end', () => {
          clearTimeout(timer);
          try {
            resolve({ status, json: JSON.parse(Buffer.concat(chunks, size).toString('utf8')) });
          } catch (err) {
            reject(new UpstreamError('ERR_API_RESPONSE', 'The stocks API answered with invalid JSON; try again later.', { cause: err }));
          }
        });
      });
      request.on('error', (err) => fail(err instanceof UpstreamError ? err : unreachable(err)));
      const timer = setTimeout(
        () =>
          request.destroy(
            new UpstreamError('ERR_API_TIMEOUT', `The stocks API did not answer within ${seconds} s; try again in a moment.`),
          ),
        timeoutMs,
      );
    });
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

/** Far more than the whole list of stocks: anything larger is not an answer of the stocks API. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

const unreachable = (cause: Error) =>
  new UpstreamError('ERR_API_UNREACHABLE', 'The stocks API cannot be reached; try again later.', { cause });
