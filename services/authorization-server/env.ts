/**
 * The configuration from the environment the deployment sets (infra/environments.ts,
 * `authorizationServerEnv`), validated with messages that name the bad variable.
 */
import { z } from 'zod';
import { TOKEN_SIGNING_ALGORITHM_EXPECTED, TOKEN_SIGNING_ALGORITHMS } from '@mcp-secured-api/contracts';
import { authorizationServerConfigSchema, REFRESH_TOKEN_TTL_MAX, type AuthorizationServerConfig } from './config.ts';
import { parseDatabaseUrl } from './database.ts';

const bool = z.enum(['true', 'false'], { message: 'must be "true" or "false"' }).transform((v) => v === 'true');
const text = z.string().min(1, { message: 'must not be empty' });
const int = (min: number, max: number) =>
  z.coerce.number({ message: 'must be a number' }).int({ message: 'must be a whole number' }).min(min).max(max);

const envSchema = z.object({
  PORT: int(0, 65_535),
  ISSUER: text,
  LOGIN_ORIGIN: text,
  MCP_RESOURCE: text,
  API_AUDIENCE: text,
  SCOPE: text,
  SCOPE_DESCRIPTION: text,
  ORGANIZATION_NAME: text,
  RESOURCE_NAME: text,
  USERS: text,
  ACCESS_TOKEN_TTL_SECONDS: int(1, 86_400),
  REFRESH_TOKEN_TTL_SECONDS: int(0, REFRESH_TOKEN_TTL_MAX).default(86_400),
  INTROSPECTION_CACHE_SECONDS: int(1, 300).default(30),
  EXCHANGED_TOKEN_ENTRIES: int(0, 1_000_000).default(10_000),
  SIGNING_ALGORITHM: z.enum(TOKEN_SIGNING_ALGORITHMS, { message: TOKEN_SIGNING_ALGORITHM_EXPECTED }).default('ES256'),
  CLIENT_TYPE: text,
  CLIENT_ASSURANCE_LEVEL: int(0, 3),
  GATEWAY_CLIENT_ID: text,
  GATEWAY_CLIENT_SECRET: text,
  MCP_CLIENT_ID: text,
  MCP_CLIENT_SECRET: text,
  COOKIE_SECRET: text,
  KEY_ENCRYPTION_KEY: text,
  DATABASE_URL: text,
  SMTP_HOST: text,
  SMTP_PORT: int(1, 65_535),
  MAIL_FROM: text,
  SMTP_SECURITY: z.enum(['none', 'starttls', 'tls'], { message: 'must be "none", "starttls" or "tls"' }).default('none'),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  CIMD_ALLOW_LOOPBACK: bool.default(false),
  /** Comma-separated addresses, CIDR ranges or host names of the gateway (config.ts, `trustProxy`). */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean),
    ),
  /** Where to listen: an address of this machine; default all interfaces. */
  LISTEN_ADDRESS: z.union([z.ipv4(), z.ipv6()], { message: 'must be an IP address of this machine, such as 127.0.0.1' }).optional(),
});

/** Where each configuration field comes from, to name the variable in errors. */
const VARIABLE_OF: Record<string, string> = {
  issuer: 'ISSUER',
  loginOrigin: 'LOGIN_ORIGIN',
  mcpResource: 'MCP_RESOURCE',
  apiAudience: 'API_AUDIENCE',
  scope: 'SCOPE',
  scopeDescription: 'SCOPE_DESCRIPTION',
  organizationName: 'ORGANIZATION_NAME',
  resourceName: 'RESOURCE_NAME',
  users: 'USERS',
  accessTokenTtlSeconds: 'ACCESS_TOKEN_TTL_SECONDS',
  refreshTokenTtlSeconds: 'REFRESH_TOKEN_TTL_SECONDS',
  introspectionCacheSeconds: 'INTROSPECTION_CACHE_SECONDS',
  exchangedTokenEntries: 'EXCHANGED_TOKEN_ENTRIES',
  signingAlgorithm: 'SIGNING_ALGORITHM',
  clientType: 'CLIENT_TYPE',
  clientAssuranceLevel: 'CLIENT_ASSURANCE_LEVEL',
  'clients.gateway.id': 'GATEWAY_CLIENT_ID',
  'clients.gateway.secret': 'GATEWAY_CLIENT_SECRET',
  'clients.mcpServer.id': 'MCP_CLIENT_ID',
  'clients.mcpServer.secret': 'MCP_CLIENT_SECRET',
  cookieSecret: 'COOKIE_SECRET',
  keyEncryptionKey: 'KEY_ENCRYPTION_KEY',
  'smtp.host': 'SMTP_HOST',
  'smtp.port': 'SMTP_PORT',
  'smtp.from': 'MAIL_FROM',
  'smtp.security': 'SMTP_SECURITY',
  'smtp.user': 'SMTP_USER',
  'smtp.password': 'SMTP_PASSWORD',
  trustProxy: 'TRUSTED_PROXIES',
};

export class AuthorizationServerEnvironmentError extends Error {
  override name = 'AuthorizationServerEnvironmentError';
  readonly code = 'ERR_ENVIRONMENT_INVALID';
}

function fail(problems: string[]): never {
  throw new AuthorizationServerEnvironmentError(
    `The authorization server cannot start; fix these environment variables:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  );
}

export function configFromEnv(env: Record<string, string | undefined>): {
  port: number;
  /** Undefined: every interface. */
  listenAddress: string | undefined;
  databaseUrl: string;
  config: AuthorizationServerConfig;
} {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    fail(parsed.error.issues.map((i) => `${String(i.path[0])} ${env[String(i.path[0])] === undefined ? 'is required' : i.message}`));
  }
  const e = parsed.data;
  let users: unknown;
  try {
    users = JSON.parse(e.USERS);
  } catch {
    fail(['USERS must be a JSON array such as [{"email":"john.doe@demo.example","region":"USA"}]']);
  }
  try {
    parseDatabaseUrl(e.DATABASE_URL);
  } catch (error) {
    fail([(error as Error).message]);
  }
  const config = authorizationServerConfigSchema.safeParse({
    issuer: e.ISSUER,
    loginOrigin: e.LOGIN_ORIGIN,
    mcpResource: e.MCP_RESOURCE,
    apiAudience: e.API_AUDIENCE,
    scope: e.SCOPE,
    scopeDescription: e.SCOPE_DESCRIPTION,
    organizationName: e.ORGANIZATION_NAME,
    resourceName: e.RESOURCE_NAME,
    users,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    introspectionCacheSeconds: e.INTROSPECTION_CACHE_SECONDS,
    exchangedTokenEntries: e.EXCHANGED_TOKEN_ENTRIES,
    signingAlgorithm: e.SIGNING_ALGORITHM,
    clientType: e.CLIENT_TYPE,
    clientAssuranceLevel: e.CLIENT_ASSURANCE_LEVEL,
    clients: {
      gateway: { id: e.GATEWAY_CLIENT_ID, secret: e.GATEWAY_CLIENT_SECRET },
      mcpServer: { id: e.MCP_CLIENT_ID, secret: e.MCP_CLIENT_SECRET },
    },
    smtp: {
      host: e.SMTP_HOST,
      port: e.SMTP_PORT,
      from: e.MAIL_FROM,
      security: e.SMTP_SECURITY,
      ...(e.SMTP_USER ? { user: e.SMTP_USER } : {}),
      ...(e.SMTP_PASSWORD ? { password: e.SMTP_PASSWORD } : {}),
    },
    cookieSecret: e.COOKIE_SECRET,
    keyEncryptionKey: e.KEY_ENCRYPTION_KEY,
    clientMetadata: { allowLoopback: e.CIMD_ALLOW_LOOPBACK, allowPrivateNetworks: false },
    trustProxy: e.TRUSTED_PROXIES,
  });
  if (!config.success) {
    fail(
      config.error.issues.map((i) => {
        const path = i.path.map(String);
        const key = VARIABLE_OF[path.join('.')] ?? VARIABLE_OF[path[0] ?? ''] ?? path.join('.');
        return `${key}${path[0] === 'users' && path.length > 1 ? `[${path.slice(1).join('.')}]` : ''} ${i.message}`;
      }),
    );
  }
  return { port: e.PORT, listenAddress: e.LISTEN_ADDRESS, databaseUrl: e.DATABASE_URL, config: config.data };
}
