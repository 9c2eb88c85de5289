/**
 * Client ID Metadata Documents: a `client_id` that is an https URL names a JSON document the
 * client publishes. It is fetched with SSRF protection (addresses checked when the connection
 * is made, so DNS cannot swap them in between; no redirects; size limit with early refusal on
 * Content-Length; time-out), validated, cached per its Cache-Control within bounds, and
 * concurrent fetches of one URL share one request (lru-cache's `fetch`). Fetches in progress are
 * limited in total, per requesting address and per document host (fetch-slots.ts), so one source
 * naming many slow documents cannot keep another's client from being looked up.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { LRUCache } from 'lru-cache';
import { LRU_CLOCK_EVERY_TIME } from '@mcp-secured-api/contracts';
import { addressProblem, classifyAddress, type AddressPolicy } from './address-policy.ts';
import { validateClientMetadata, type ClientMetadata } from './client-rules.ts';
import { OAuthError } from './errors.ts';
import { FetchSlots, type FetchSlotLimits } from './fetch-slots.ts';
import { isLoopbackHost } from './redirect-uri.ts';

export type ClientMetadataErrorReason =
  | 'invalid_url'
  | 'address_not_allowed'
  | 'redirect_refused'
  | 'bad_status'
  | 'too_large'
  | 'timeout'
  | 'unreachable'
  | 'invalid_document'
  | 'client_id_mismatch'
  | 'secret_in_document'
  | 'busy';

export class ClientMetadataError extends Error {
  override name = 'ClientMetadataError';
  /** `ERR_CLIENT_METADATA_` and the reason in capitals, e.g. `ERR_CLIENT_METADATA_TOO_LARGE`. */
  readonly code: string;
  constructor(
    readonly reason: ClientMetadataErrorReason,
    message: string,
  ) {
    super(message);
    this.code = `ERR_CLIENT_METADATA_${reason.toUpperCase()}`;
  }
}

export interface ClientMetadataDocumentOptions extends AddressPolicy {
  knownScopes: readonly string[];
  /** Whether the server issues refresh tokens (to documents that list the refresh_token grant). */
  refreshTokens?: boolean;
  maxBytes?: number;
  timeoutMs?: number;
  cacheEntries?: number;
  minCacheSeconds?: number;
  maxCacheSeconds?: number;
  defaultCacheSeconds?: number;
  /** Fetches in progress at once: in total, per requesting address, per document host. */
  fetchSlots?: Partial<FetchSlotLimits>;
}

export interface ClientMetadataDocuments {
  /** The client's metadata; `source` is the address of the request that needs it (its share of fetches). */
  resolve(clientId: string, source?: string): Promise<ClientMetadata>;
}

/** Whether a client_id names a metadata document rather than a registered client. */
export function isClientIdUrl(clientId: string): boolean {
  return clientId.startsWith('https://') || clientId.startsWith('http://');
}

const FETCH_SLOTS: FetchSlotLimits = { total: 100, perSource: 10, perHost: 10 };
const BUSY = {
  total: 'Too many client metadata documents are being fetched; try again shortly',
  source: 'Too many client metadata documents are being fetched for requests from your address; try again shortly',
  host: "Too many client metadata documents are being fetched from this document's host; try again shortly",
} as const;

export function createClientMetadataDocuments(options: ClientMetadataDocumentOptions): ClientMetadataDocuments {
  const maxBytes = options.maxBytes ?? 5 * 1024;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const minTtl = options.minCacheSeconds ?? 60;
  const maxTtl = options.maxCacheSeconds ?? 86_400;
  const defaultTtl = options.defaultCacheSeconds ?? 600;
  const slots = new FetchSlots({ ...FETCH_SLOTS, ...options.fetchSlots });
  // fetch() shares one load among concurrent callers of one URL; a failed load is not kept. The
  // slot is taken for the caller whose request starts the load.
  const cache = new LRUCache<string, ClientMetadata, { source: string }>({
    max: options.cacheEntries ?? 1_000,
    ttlResolution: LRU_CLOCK_EVERY_TIME,
    fetchMethod: async (clientId, _stale, { options: entry, context }) => {
      const url = checkUrl(clientId, options);
      const release = slots.take(context.source, url.hostname);
      if (typeof release === 'string') throw new ClientMetadataError('busy', BUSY[release]);
      try {
        const { body, cacheControl } = await fetchDocument(url, options, maxBytes, timeoutMs);
        const metadata = checkDocument(clientId, body, options);
        entry.ttl = Math.min(maxTtl, Math.max(minTtl, maxAge(cacheControl) ?? defaultTtl)) * 1000;
        return metadata;
      } finally {
        release();
      }
    },
  });

  return {
    async resolve(clientId, source = 'unknown') {
      const metadata = await cache.fetch(clientId, { context: { source } });
      // fetch() gives undefined only when the load was aborted (the entry evicted meanwhile).
      if (!metadata) throw new ClientMetadataError('busy', BUSY.total);
      return metadata;
    },
  };
}

function checkUrl(clientId: string, policy: AddressPolicy): URL {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw new ClientMetadataError('invalid_url', 'The client_id is not a valid URL');
  }
  // The canonical form rules out dot segments, encoded dots, fragments' and hosts' variants.
  if (url.href !== clientId || clientId.length > 2000) {
    throw new ClientMetadataError(
      'invalid_url',
      'The client_id URL must be in canonical form: no "." or ".." segments, lower-case host, no default port',
    );
  }
  if (url.hash || clientId.includes('#')) throw new ClientMetadataError('invalid_url', 'The client_id URL must not contain a fragment');
  if (url.username || url.password) throw new ClientMetadataError('invalid_url', 'The client_id URL must not contain user information');
  if (url.pathname === '/') throw new ClientMetadataError('invalid_url', 'The client_id URL must have a path');
  const loopbackHttp = url.protocol === 'http:' && policy.allowLoopback && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw new ClientMetadataError('invalid_url', 'The client_id URL must use https');
  }
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal)) {
    const problem = addressProblem(literal, policy);
    if (problem) throw new ClientMetadataError('address_not_allowed', `Client metadata may not be fetched from ${problem}`);
  }
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A DNS lookup that refuses addresses the policy forbids, at connection time. */
function guardedLookup(policy: AddressPolicy, loopbackOnly: boolean) {
  return (hostname: string, opts: { all?: boolean }, callback: LookupCallback) => {
    dnsLookup(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const { address } of addresses) {
        const problem = loopbackOnly && classifyAddress(address) !== 'loopback' ? 'not loopback' : addressProblem(address, policy);
        // The message names the host, never what it resolved to: error pages must not map the internal network.
        if (problem)
          return callback(
            new ClientMetadataError(
              'address_not_allowed',
              `Client metadata may not be fetched from ${hostname}: it resolves to an address that is not allowed`,
            ),
            [],
          );
      }
      if (opts.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

function fetchDocument(
  url: URL,
  policy: AddressPolicy,
  maxBytes: number,
  timeoutMs: number,
): Promise<{ body: string; cacheControl?: string }> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const fail = (error: ClientMetadataError) => {
      reject(error);
      request.destroy();
    };
    const request = client.request(
      url,
      {
        method: 'GET',
        headers: { accept: 'application/json' },
        agent: false,
        lookup: guardedLookup(policy, url.protocol === 'http:') as unknown as typeof dnsLookup,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400)
          return fail(
            new ClientMetadataError(
              'redirect_refused',
              'The client metadata document answered with a redirect; redirects are not followed',
            ),
          );
        if (status !== 200) return fail(new ClientMetadataError('bad_status', `The client metadata document answered ${status}`));
        if (Number(response.headers['content-length'] ?? 0) > maxBytes) {
          return fail(new ClientMetadataError('too_large', `The client metadata document is larger than ${maxBytes} bytes`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) fail(new ClientMetadataError('too_large', `The client metadata document is larger than ${maxBytes} bytes`));
          else chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({ body: Buffer.concat(chunks).toString('utf8'), cacheControl: response.headers['cache-control'] }),
        );
        response.on('error', () => fail(new ClientMetadataError('unreachable', 'The client metadata document could not be read')));
      },
    );
    request.on('error', (error: Error) => {
      if (error instanceof ClientMetadataError) return reject(error);
      if (error.name === 'AbortError' || error.name === 'TimeoutError') {
        return reject(new ClientMetadataError('timeout', `The client metadata document did not arrive within ${timeoutMs} ms`));
      }
      reject(
        new ClientMetadataError(
          'unreachable',
          `The client metadata document could not be fetched (${(error as NodeJS.ErrnoException).code ?? error.message})`,
        ),
      );
    });
    request.end();
  });
}

function checkDocument(clientId: string, body: string, options: ClientMetadataDocumentOptions): ClientMetadata {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new ClientMetadataError('invalid_document', 'The client metadata document is not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new ClientMetadataError('invalid_document', 'The client metadata document must be a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.client_id !== clientId)
    throw new ClientMetadataError('client_id_mismatch', "The document's client_id is not the URL it was fetched from");
  const jwks = d.jwks as { keys?: Record<string, unknown>[] } | undefined;
  if ('client_secret' in d || 'client_secret_expires_at' in d || jwks?.keys?.some((k) => 'd' in k)) {
    throw new ClientMetadataError('secret_in_document', 'The client metadata document must not contain secrets or private keys');
  }
  try {
    return validateClientMetadata(d, {
      knownScopes: options.knownScopes,
      authMethods: ['none'],
      defaultAuthMethod: 'none',
      refreshTokens: options.refreshTokens ?? false,
    });
  } catch (error) {
    if (error instanceof OAuthError)
      throw new ClientMetadataError('invalid_document', `The client metadata document is not acceptable: ${error.message}`);
    throw error;
  }
}

function maxAge(cacheControl: string | undefined): number | undefined {
  if (!cacheControl) return undefined;
  if (/\b(no-store|no-cache)\b/i.test(cacheControl)) return 0;
  const match = /\bmax-age\s*=\s*"?(\d+)/i.exec(cacheControl);
  return match ? Number(match[1]) : undefined;
}
