/** Entry point of the MCP server: configuration from the environment, then listen. */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { createLogger } from '@mcp-secured-api/contracts';
import { createMcpServer } from './app.ts';
import { mcpServerConfigFromEnvironment } from './config.ts';

const log = createLogger();
let settings: ReturnType<typeof mcpServerConfigFromEnvironment>;
let app: ReturnType<typeof createMcpServer>;
try {
  settings = mcpServerConfigFromEnvironment(process.env);
  app = createMcpServer({ ...settings.config, log });
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}

const server = serve({ fetch: app.fetch, port: settings.port, hostname: settings.listenAddress }, (info) => {
  log.info(`listening on port ${info.port} for ${settings.config.resource}`);
}) as Server;
// Longer than the gateway's idle time, so a kept-alive connection is never closed under a request.
server.keepAliveTimeout = 65_000;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
