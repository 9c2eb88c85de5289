/**
 * The request as it travels through the plugins towards the upstream, and the plugin contract:
 * a plugin gets the request and the rest of the chain, and returns a response, either its own
 * (a refusal) or the one from further down, possibly changed.
 */
import { Readable } from 'node:stream';

export interface ProxyRequest {
  method: string;
  /** The path sent upstream (after `strip_path`), percent-encoded. */
  path: string;
  /** The query string sent upstream, with its leading "?", or "". */
  search: string;
  /** The headers sent upstream: end-to-end headers of the client's request plus X-Forwarded-*. */
  headers: Headers;
  /**
   * The body: streamed from the client (the Node stream when served by @hono/node-server, else the
   * web stream), or bytes once a plugin has read or rewritten it.
   */
  body: Readable | ReadableStream<Uint8Array> | Uint8Array | null;
  /** The Host header sent upstream. */
  host: string;
  /** The client's request, unchanged: plugins that act on what the client sent read it here. */
  readonly client: Request;
}

export type Handler = (req: ProxyRequest) => Promise<Response>;
export type Plugin = (req: ProxyRequest, next: Handler) => Promise<Response>;

export function chain(plugins: Plugin[], last: Handler): Handler {
  return plugins.reduceRight<Handler>((next, plugin) => (req) => plugin(req, next), last);
}

/** The body grew beyond the gateway's cap; the gateway answers 413. */
export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
  readonly code = 'ERR_PAYLOAD_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
  }
}

/** Reads the whole body into memory, refusing more than `limit` bytes. */
export async function readBody(body: ProxyRequest['body'], limit: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  if (body instanceof Uint8Array) {
    if (body.byteLength > limit) throw new PayloadTooLargeError(limit);
    return body;
  }
  const stream = body instanceof Readable ? body : Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new PayloadTooLargeError(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
