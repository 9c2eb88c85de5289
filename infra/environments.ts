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
  /** The mail server one-time codes go to: the test inbox, or a relay with TLS and credentials. */
  smtp: {
    host: string;
    port: number;
    security?: 'none' | 'starttls' | 'tls';
    user?: string;
    /** The relay's password (a secret). */
    password?: string;
    /** The sender; by default no-reply@<domain>. */
    from?: string;
  };
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
    RESOURCE_NAME: model.resourceName,
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
  secrets: Pick<Secrets, 'gatewayClientSecret' | 'mcpClientSecret' | 'cookieSecret' | 'keyEncryptionKey'>,
  port: number,
  options: {
    allowLoopbackClientMetadata?: boolean;
    /** `postgres://…` for a PostgreSQL server, `file:<folder>` for the embedded database (secret: it may hold a password). */
    databaseUrl?: string;
    /**
     * The gateway as the server sees it (addresses, CIDR ranges or host names): only its
     * X-Forwarded-For is believed, so a client reaching the server directly cannot choose the
     * address its rate limits count. None: X-Forwarded-For is ignored.
     */
    trustedProxies?: string[];
  } = {},
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
    ORGANIZATION_NAME: model.organizationName,
    RESOURCE_NAME: model.resourceName,
    USERS: JSON.stringify(model.users),
    ACCESS_TOKEN_TTL_SECONDS: String(model.accessTokenTtlSeconds),
    REFRESH_TOKEN_TTL_SECONDS: String(model.agentPolicy.refreshTokenTtlSeconds),
    INTROSPECTION_CACHE_SECONDS: String(model.introspectionCacheSeconds),
    // The one algorithm the resource servers accept (JWT_ALGORITHMS), so they always agree.
    SIGNING_ALGORITHM: model.config.tokenSigningAlgorithm,
    CLIENT_TYPE: model.agentPolicy.clientType,
    CLIENT_ASSURANCE_LEVEL: String(model.agentPolicy.clientAssuranceLevel),
    GATEWAY_CLIENT_ID: model.clients.gateway.id,
    GATEWAY_CLIENT_SECRET: secrets.gatewayClientSecret,
    MCP_CLIENT_ID: model.clients.mcpServer.id,
    MCP_CLIENT_SECRET: secrets.mcpClientSecret,
    COOKIE_SECRET: secrets.cookieSecret,
    KEY_ENCRYPTION_KEY: secrets.keyEncryptionKey,
    SMTP_HOST: internal.smtp.host,
    SMTP_PORT: String(internal.smtp.port),
    MAIL_FROM: internal.smtp.from ?? `no-reply@${model.config.domain}`,
    ...(internal.smtp.security ? { SMTP_SECURITY: internal.smtp.security } : {}),
    ...(internal.smtp.user ? { SMTP_USER: internal.smtp.user } : {}),
    ...(internal.smtp.password ? { SMTP_PASSWORD: internal.smtp.password } : {}),
    CIMD_ALLOW_LOOPBACK: options.allowLoopbackClientMetadata ? 'true' : 'false',
    // Browsers and clients reach the login host through the gateway, which appends the client's
    // address to X-Forwarded-For; the per-address rate limits believe it from the gateway only.
    ...(options.trustedProxies?.length ? { TRUSTED_PROXIES: options.trustedProxies.join(',') } : {}),
  };
}

export interface GatewayOptions {
  /** Where the declarative configuration file is inside the container. */
  configPath: string;
  /** The proxy's port inside the container. */
  port: number;
  /** Serve https with this certificate and key (paths inside the container). */
  tls?: { certificate: string; privateKey: string };
  /** Kong's status API (readiness and liveness probes). */
  statusPort?: number;
  /** A writable directory for Kong's working files, when the root filesystem is read-only. */
  prefix?: string;
  /** nginx worker processes; by default one per CPU of the node, not of the container's limit. */
  workerProcesses?: number;
}

/** Kong's environment: DB-less, the phantom-token plugin and its cache, no admin API. */
export function gatewayEnv(options: GatewayOptions): Env {
  const { tls } = options;
  return {
    KONG_DATABASE: 'off',
    KONG_DECLARATIVE_CONFIG: options.configPath,
    KONG_PROXY_LISTEN: tls ? `0.0.0.0:${options.port} http2 ssl` : `0.0.0.0:${options.port}`,
    // No admin API: the configuration comes only from the generated file.
    KONG_ADMIN_LISTEN: 'off',
    KONG_PLUGINS: 'bundled,phantom-token',
    // The phantom-token plugin's cache of introspected tokens.
    KONG_NGINX_HTTP_LUA_SHARED_DICT: 'phantom-token 10m',
    KONG_PROXY_ACCESS_LOG: '/dev/stdout',
    KONG_PROXY_ERROR_LOG: '/dev/stderr',
    KONG_LOG_LEVEL: 'notice',
    ...(tls ? { KONG_SSL_CERT: tls.certificate, KONG_SSL_CERT_KEY: tls.privateKey } : {}),
    ...(options.statusPort ? { KONG_STATUS_LISTEN: `0.0.0.0:${options.statusPort}` } : {}),
    ...(options.prefix ? { KONG_PREFIX: options.prefix } : {}),
    ...(options.workerProcesses ? { KONG_NGINX_WORKER_PROCESSES: String(options.workerProcesses) } : {}),
  };
}
