/**
 * Entry point of the built-in authorization server (container image and local stack).
 * Reads the environment, opens its database (DATABASE_URL) and brings the schema up to date,
 * listens on LISTEN_ADDRESS (default every interface) and PORT, rotates the signing key on SIGUSR2, and stops on SIGTERM or SIGINT.
 * A database it cannot reach at start, or cannot use, stops it with a message saying why.
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createLogger } from '@mcp-secured-api/contracts';
import { createAuthorizationServer, type AuthorizationServer } from './app.ts';
import { openDatabase } from './database.ts';
import { configFromEnv, AuthorizationServerEnvironmentError } from './env.ts';

const log = createLogger();

function exit(message: string): never {
  console.error(message);
  process.exit(1);
}

async function start(): Promise<void> {
  let settings;
  try {
    settings = configFromEnv(process.env);
  } catch (error) {
    if (error instanceof AuthorizationServerEnvironmentError) exit(error.message);
    throw error;
  }
  const { port, listenAddress, databaseUrl, config } = settings;
  let server: AuthorizationServer;
  try {
    server = await createAuthorizationServer(config, { database: await openDatabase(databaseUrl), log });
  } catch (error) {
    exit(`The authorization server cannot start: ${(error as Error).message}`);
  }
  log.info(`state in ${server.databaseLocation}`);
  const http = serve({ fetch: server.app.fetch, port, hostname: listenAddress ?? '0.0.0.0' }, (info) => {
    log.info(`issuer ${config.issuer}, listening on port ${info.port}`);
  }) as Server;
  // Longer than the gateway's and the MCP server's idle time: with Node's 5 s, a kept-alive
  // connection could close just as the gateway reused it for an introspection (a 500 to its client).
  http.keepAliveTimeout = 65_000;

  process.on('SIGUSR2', () => {
    server.rotateSigningKey().then(
      (made) => log.info(`signing key rotated; new kid ${server.currentKeyId}${made ? '' : ' (made by another instance)'}`),
      (error: Error) => log.error(`signing key rotation failed: ${error.message}`),
    );
  });
  const stop = () => {
    http.close(() => void server.close().finally(() => process.exit(0)));
    // Keep-alive connections would hold the close; do not wait for them for long.
    setTimeout(() => process.exit(0), 3_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await start();
