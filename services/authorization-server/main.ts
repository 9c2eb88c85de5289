/**
 * Entry point of the built-in authorization server (container image and local stack).
 * Reads the environment, listens on 0.0.0.0:PORT, rotates the signing key on SIGUSR2,
 * and stops on SIGTERM or SIGINT.
 */
import { serve } from '@hono/node-server';
import { createAuthorizationServer } from './app.ts';
import { configFromEnv, EnvironmentError } from './env.ts';

function start(): void {
  let settings;
  try {
    settings = configFromEnv(process.env);
  } catch (error) {
    if (error instanceof EnvironmentError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const { port, config } = settings;
  const server = createAuthorizationServer(config);
  const http = serve({ fetch: server.app.fetch, port, hostname: '0.0.0.0' }, (info) => {
    console.log(`[authorization-server] issuer ${config.issuer}, listening on port ${info.port}`);
  });

  process.on('SIGUSR2', () => {
    server.rotateSigningKey().then(
      () => console.log(`[authorization-server] signing key rotated; new kid ${server.currentKeyId}`),
      (error: Error) => console.error(`[authorization-server] signing key rotation failed: ${error.message}`),
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

start();
