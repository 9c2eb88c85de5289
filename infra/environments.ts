/**
 * Each service's environment, derived from the model. Both targets use this: the Docker target
 * with container hostnames, the local stack with localhost ports. The services' entry points read
 * exactly these variables.
 */
import { AS_PATHS } from '@mcp-secured-api/contracts';
import type { Model, Secrets } from './model.ts';

/** Where services reach each other directly, not through the gateway. */
export interface InternalAddresses {
  /** Base URL of the authorization server, e.g. http://login-server:8443 */
  authorizationServer: string;
  /** Base URL of the stocks API, e.g. http://stocks-api:3000 */
  stocksApi: string;
  smtp: { host: string; port: number };
}

export type Env = Record<string, string>;

export function stocksApiEnv(model: Model, internal: InternalAddresses, port: number): Env {
  return {
    PORT: String(port),
    ISSUER: model.issuer,
    JWKS_URI: `${internal.authorizationServer}${AS_PATHS.jwks}`,
    AUDIENCE: model.apiAudience,
    REQUIRED_SCOPE: model.scope,
    JWT_ALGORITHMS: model.jwt.algorithms.join(','),
    JWT_TYP: model.jwt.typ ?? '',
  };
}

export function mcpServerEnv(model: Model, internal: InternalAddresses, secrets: Pick<Secrets, 'mcpClientSecret'>, port: number): Env {
  return {
    PORT: String(port),
    PUBLIC_ORIGIN: model.origins.mcp,
    RESOURCE: model.mcpResource,
    RESOURCE_NAME: 'Stocks MCP server',
    ISSUER: model.issuer,
    JWKS_URI: `${internal.authorizationServer}${AS_PATHS.jwks}`,
    REQUIRED_SCOPE: model.scope,
    JWT_ALGORITHMS: model.jwt.algorithms.join(','),
    JWT_TYP: model.jwt.typ ?? '',
    TOKEN_ENDPOINT: `${internal.authorizationServer}${AS_PATHS.token}`,
    CLIENT_ID: model.clients.mcpServer.id,
    CLIENT_SECRET: secrets.mcpClientSecret,
    API_AUDIENCE: model.apiAudience,
    API_BASE_URL: internal.stocksApi,
    ALLOWED_ORIGINS: model.config.corsOrigins.join(','),
  };
}

export function authorizationServerEnv(
  model: Model,
  internal: InternalAddresses,
  secrets: Pick<Secrets, 'gatewayClientSecret' | 'mcpClientSecret' | 'cookieSecret'>,
  port: number,
  options: { allowLoopbackClientMetadata?: boolean; databaseUrl?: string } = {},
): Env {
  return {
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    PORT: String(port),
    ISSUER: model.issuer,
    LOGIN_ORIGIN: model.origins.login,
    MCP_RESOURCE: model.mcpResource,
    API_AUDIENCE: model.apiAudience,
    SCOPE: model.scope,
    SCOPE_DESCRIPTION: model.scopeDescription,
    USERS: JSON.stringify(model.users),
    ACCESS_TOKEN_TTL_SECONDS: String(model.accessTokenTtlSeconds),
    CLIENT_TYPE: model.agentPolicy.clientType,
    CLIENT_ASSURANCE_LEVEL: String(model.agentPolicy.clientAssuranceLevel),
    GATEWAY_CLIENT_ID: model.clients.gateway.id,
    GATEWAY_CLIENT_SECRET: secrets.gatewayClientSecret,
    MCP_CLIENT_ID: model.clients.mcpServer.id,
    MCP_CLIENT_SECRET: secrets.mcpClientSecret,
    COOKIE_SECRET: secrets.cookieSecret,
    SMTP_HOST: internal.smtp.host,
    SMTP_PORT: String(internal.smtp.port),
    MAIL_FROM: `no-reply@${model.config.domain}`,
    CIMD_ALLOW_LOOPBACK: options.allowLoopbackClientMetadata ? 'true' : 'false',
    // Browsers and clients reach the login host through the gateway in both targets; it appends the
    // client's address to X-Forwarded-For, which the server's per-address rate limits then use.
    TRUST_PROXY: 'true',
  };
}
