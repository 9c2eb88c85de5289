/**
 * Benchmark only: the stocks API or the MCP server, built from the product's own modules but with
 * their security replaced by stand-ins (a fixed identity, no token exchange), so the benchmark can
 * measure what security costs; or a plain HTTP hop in the MCP server's place, to measure what MCP
 * costs. The product's entry points have no such switch.
 *
 *   node --import tsx test/bench/insecure-service.ts stocks-api|mcp-server|plain-hop
 *
 * Environment: PORT; SUBJECT and REGION for the stocks API and the MCP server; for the MCP server
 * also PUBLIC_ORIGIN, ISSUER and REQUIRED_SCOPE; API_BASE_URL for the MCP server and the plain hop.
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createMcpServer } from '../../services/mcp-server/app.ts';
import { createStocksClient } from '../../services/mcp-server/stocks-client.ts';
import { createStocksApi } from '../../services/stocks-api/app.ts';
import { fixedIdentity, noApiToken } from '../support/fixed-identity.ts';

const which = process.argv[2];
const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`insecure-service: ${name} is required`);
  return value;
};
const identity = () => fixedIdentity({ sub: env('SUBJECT'), region: env('REGION') });

let app: { fetch: (request: Request) => Response | Promise<Response> };
if (which === 'stocks-api') {
  app = createStocksApi({ authenticate: identity() });
} else if (which === 'plain-hop') {
  // What the MCP server does for a tool call, without MCP: one API call (by the same client), its JSON back.
  const stocks = createStocksClient({ baseUrl: env('API_BASE_URL') });
  const hop = new Hono();
  hop.get('/health', (c) => c.json({ status: 'ok' }));
  hop.post('/', async (c) => {
    await c.req.json();
    return c.json(await stocks.listStocks(undefined));
  });
  app = hop;
} else if (which === 'mcp-server') {
  const publicOrigin = env('PUBLIC_ORIGIN');
  app = createMcpServer({
    publicOrigin,
    resource: `${publicOrigin}/`,
    resourceName: 'Stocks MCP server (benchmark, no security)',
    issuer: env('ISSUER'),
    requiredScope: env('REQUIRED_SCOPE'),
    apiBaseUrl: env('API_BASE_URL'),
    authenticate: identity(),
    apiTokenProvider: noApiToken,
  });
} else {
  throw new Error('insecure-service: name stocks-api, mcp-server or plain-hop');
}

const server = serve({ fetch: app.fetch, port: Number(env('PORT')), hostname: '127.0.0.1' }) as Server;
// As in the product's entry points: longer than the callers' idle time.
server.keepAliveTimeout = 65_000;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
