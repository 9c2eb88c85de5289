/** The MCP server's configuration from the environment (the names of infra/environments.ts). */
import { z } from 'zod';
import { httpUrl, jwtEnvironment, listenAddress, origin, originList, port, readEnvironment } from '@mcp-secured-api/security';
import type { McpServerConfig } from './app.ts';

const schema = z.object({
  PORT: port,
  LISTEN_ADDRESS: listenAddress,
  PUBLIC_ORIGIN: origin('https://mcp.demo.example'),
  RESOURCE: httpUrl('https://mcp.demo.example/'),
  RESOURCE_NAME: z.string().min(1, { message: 'must name the MCP server for people, such as Stocks MCP server' }),
  ...jwtEnvironment,
  TOKEN_ENDPOINT: httpUrl('http://login-server:8443/oauth/v2/oauth-token'),
  CLIENT_ID: z.string().min(1, { message: "must be the MCP server's client id at the authorization server" }),
  CLIENT_SECRET: z.string().min(1, { message: "must be the MCP server's client secret" }),
  API_AUDIENCE: z.string().min(1, { message: 'must be the API audience such as https://api.demo.example' }),
  API_BASE_URL: httpUrl('http://stocks-api:3000'),
  ALLOWED_ORIGINS: originList,
  // Optional tuning: how many exchanged API tokens are kept; 0 exchanges on every call.
  EXCHANGE_CACHE_ENTRIES: z.coerce
    .number({ message: 'must be a number of entries such as 10000 (0 turns the cache off)' })
    .int({ message: 'must be a whole number such as 10000 (0 turns the cache off)' })
    .min(0, { message: 'must be 0 or more' })
    .optional(),
});

export function mcpServerConfigFromEnvironment(env: Record<string, string | undefined>): {
  port: number;
  listenAddress: string | undefined;
  config: McpServerConfig;
} {
  const e = readEnvironment('mcp-server', schema, env);
  return {
    port: e.PORT,
    listenAddress: e.LISTEN_ADDRESS,
    config: {
      publicOrigin: e.PUBLIC_ORIGIN,
      allowedOrigins: e.ALLOWED_ORIGINS,
      resource: e.RESOURCE,
      resourceName: e.RESOURCE_NAME,
      issuer: e.ISSUER,
      requiredScope: e.REQUIRED_SCOPE,
      apiBaseUrl: e.API_BASE_URL,
      jwt: { issuer: e.ISSUER, jwks: e.JWKS_URI, algorithms: e.JWT_ALGORITHMS, typ: e.JWT_TYP },
      tokenExchange: {
        tokenEndpoint: e.TOKEN_ENDPOINT,
        clientId: e.CLIENT_ID,
        clientSecret: e.CLIENT_SECRET,
        audience: e.API_AUDIENCE,
        cacheMaxEntries: e.EXCHANGE_CACHE_ENTRIES,
      },
    },
  };
}
