/** Entry point of the stocks API: configuration from the environment, then listen. */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { createLogger } from '@mcp-secured-api/contracts';
import { createStocksApi } from './app.ts';
import { stocksApiConfigFromEnvironment } from './config.ts';

let settings: ReturnType<typeof stocksApiConfigFromEnvironment>;
try {
  settings = stocksApiConfigFromEnvironment(process.env);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

const log = createLogger();
const server = serve(
  { fetch: createStocksApi({ ...settings.config, log }).fetch, port: settings.port, hostname: settings.listenAddress },
  (info) => {
    log.info(`listening on port ${info.port}`);
  },
) as Server;
// Longer than the gateway's and the MCP server's idle time, so a kept-alive connection is never
// closed under a request in flight.
server.keepAliveTimeout = 65_000;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
