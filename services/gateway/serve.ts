/**
 * Serves one gateway configuration on several listeners: one localhost port per public host
 * (routing as if the request named that host), or one port routing by the Host header. All
 * listeners share one phantom-token cache, as Kong's routes share one.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { serve, type ServerType } from '@hono/node-server';
import type { KongConfig } from './config.ts';
import { createGateway, type Gateway, type GatewayOptions } from './gateway.ts';
import { PhantomTokenCache } from './token-cache.ts';

export interface Listener {
  /** The public host this port stands for; absent: route by the Host header. */
  virtualHost?: string;
  /** 0 picks a free port. */
  port: number;
}

export interface RunningGateway {
  /** Each listener's base URL, in the order given, e.g. http://127.0.0.1:8001 */
  listeners: { virtualHost?: string; url: string }[];
  tokenCache: PhantomTokenCache;
  close(): Promise<void>;
}

export class ListenError extends Error {
  override name = 'ListenError';
  readonly code: 'ERR_LISTEN_PORT_IN_USE' | 'ERR_LISTEN_FAILED';
  constructor(
    readonly listener: Listener,
    systemCode: string | undefined,
    cause: Error,
  ) {
    super(
      systemCode === 'EADDRINUSE'
        ? `port ${listener.port}${listener.virtualHost ? ` (for ${listener.virtualHost})` : ''} is already in use: stop what uses it or choose another port`
        : `cannot listen on port ${listener.port}: ${cause.message}`,
      { cause },
    );
    this.code = systemCode === 'EADDRINUSE' ? 'ERR_LISTEN_PORT_IN_USE' : 'ERR_LISTEN_FAILED';
  }
}

export async function serveGateway(
  config: KongConfig,
  listeners: Listener[],
  options: Omit<GatewayOptions, 'virtualHost' | 'tokenCache'> & { hostname?: string } = {},
): Promise<RunningGateway> {
  const hostname = options.hostname ?? '127.0.0.1';
  const tokenCache = new PhantomTokenCache({ maxEntries: options.tokenCacheEntries });
  const started: { gateway: Gateway; server: ServerType; url: string; virtualHost?: string }[] = [];
  const upgraded = new Set<Duplex>();
  const close = async () => {
    for (const socket of upgraded) socket.destroy();
    await Promise.all(
      started.map(async ({ gateway, server }) => {
        // A development gateway stops at once, open streams included.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        (server as import('node:http').Server).closeAllConnections();
        await closed;
        await gateway.close();
      }),
    );
  };
  try {
    for (const listener of listeners) {
      const gateway = createGateway(config, { ...options, virtualHost: listener.virtualHost, tokenCache });
      const server = await new Promise<ServerType>((resolve, reject) => {
        const s = serve({ fetch: gateway.app.fetch, port: listener.port, hostname }, () => resolve(s));
        s.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
          // Upgraded connections leave the server's bookkeeping: close() must end them itself.
          upgraded.add(socket);
          socket.once('close', () => upgraded.delete(socket));
          void gateway.upgrade(req, socket, head);
        });
        s.once('error', (e: NodeJS.ErrnoException) => {
          void gateway.close();
          reject(new ListenError(listener, e.code, e));
        });
      });
      const { port } = server.address() as AddressInfo;
      const host = hostname.includes(':') ? `[${hostname}]` : hostname;
      started.push({ gateway, server, url: `http://${host}:${port}`, virtualHost: listener.virtualHost });
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { listeners: started.map(({ url, virtualHost }) => ({ url, virtualHost })), tokenCache, close };
}
