/** Starts a fetch handler (a Hono app) on an ephemeral loopback port, for tests. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export interface Listening {
  /** e.g. http://127.0.0.1:54321 */
  url: string;
  port: number;
  /** Stops listening and drops kept-alive connections, so no handle stays open. */
  close(): Promise<void>;
}

export interface ListenOptions {
  /**
   * Whether @hono/node-server may replace the global Request and Response (its default). A client
   * in the same process that tells a fetch Response by `instanceof Response` (the MCP SDK's OAuth)
   * needs them left alone.
   */
  overrideGlobalObjects?: boolean;
}

export function listen(
  app: { fetch: (request: Request) => Response | Promise<Response> },
  options: ListenOptions = {},
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const { overrideGlobalObjects } = options;
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', overrideGlobalObjects }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            (server as Server).close(() => done());
            (server as Server).closeAllConnections();
          }),
      });
    }) as Server;
    // As the product's servers: Node's 5 s could close a kept-alive connection just as a client
    // on a loaded machine reuses it, failing a request that never reached the server.
    server.keepAliveTimeout = 65_000;
    server.once('error', reject);
  });
}
