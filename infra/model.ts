/**
 * The typed deployment model: the single source of truth for every generator and target.
 *
 * `parseStackConfig` validates the user's configuration (keys without the project namespace);
 * `buildModel` derives everything else once: public hosts and origins, the issuer and its endpoints,
 * the audiences, and the confidential clients the authorization server must know.
 */
import { z } from 'zod';
import { AS_PATHS, authorizationServerMetadataUrl } from '@mcp-secured-api/contracts';
import { IMAGES } from './versions.ts';

export const PROJECT = 'mcp-secured-api';

/** The public hosts, each a subdomain of `domain`. */
export const HOST_NAMES = ['api', 'mcp', 'login', 'admin', 'mail'] as const;
export type HostName = (typeof HOST_NAMES)[number];
export type PerHost<T> = Record<HostName, T>;

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// RFC 6749 scope-token characters, no spaces: one scope.
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const userSchema = z
  .object({
    email: z.email({ message: 'must be an email address such as john.doe@demo.example' }).transform((e) => e.toLowerCase()),
    region: z.string().trim().min(1, { message: 'must name the region whose data the user may see, such as USA' }),
  })
  .strict();

export const stackConfigSchema = z
  .object({
    domain: z
      .string()
      .trim()
      .toLowerCase()
      .refine((d) => !d.includes('://'), { message: 'must be a bare domain such as demo.example, without a scheme' })
      .refine((d) => DOMAIN.test(d), {
        message: 'must be a DNS domain such as demo.example (letters, digits, hyphens and dots; no port or path)',
      }),
    scheme: z.enum(['https', 'http'], { message: 'must be "https" or "http"' }).default('https'),
    scope: z
      .string()
      .trim()
      .min(1, { message: 'must not be empty: name the scope agents are granted, such as stocks/read' })
      .refine((s) => SCOPE.test(s), { message: 'must be one OAuth scope token (no spaces, quotes or backslashes)' }),
    scopeDescription: z.string().trim().min(1).optional(),
    organizationName: z
      .string()
      .trim()
      .min(1, { message: 'must not be empty: it tells users on the sign-in pages and in the mail who is asking' })
      .max(100, { message: 'must be at most 100 characters: it heads every sign-in page' })
      .optional(),
    users: z
      .array(userSchema)
      .min(1, { message: 'must list at least one {email, region}: only these people may sign in' })
      .refine((us) => new Set(us.map((u) => u.email)).size === us.length, { message: 'must not list the same email twice' }),
    accessTokenTtlSeconds: z.coerce
      .number({ message: 'must be a number of seconds' })
      .int({ message: 'must be a whole number of seconds' })
      .min(30, { message: 'must be at least 30 seconds' })
      .max(86_400, { message: 'must be at most 86400 seconds (one day); agents should hold short-lived tokens' })
      .default(900),
    authorizationServer: z.enum(['curity', 'builtin'], { message: 'must be "curity" or "builtin"' }).optional(),
    curityLicenseKey: z.string().trim().min(1, { message: 'must not be empty; remove the key to deploy without Curity' }).optional(),
    corsOrigins: z
      .array(
        z.string().refine((o) => isOrigin(o), {
          message: 'must be an origin such as http://localhost:6274 (scheme, host and optional port; no path)',
        }),
      )
      .default(['http://localhost:6274']),
    clientAssuranceLevel: z.coerce.number().int().min(0).max(3).default(1),
  })
  .strict();

export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type StackConfig = z.output<typeof stackConfigSchema> & { authorizationServer: 'curity' | 'builtin' };

/** A configuration problem, naming the key and the expected form. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: { key: string; message: string }[]) {
    super(`Invalid stack configuration:\n` + problems.map((p) => `  - ${PROJECT}:${p.key} ${p.message}`).join('\n'));
  }
}

function isOrigin(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === value;
  } catch {
    return false;
  }
}

/**
 * Validates configuration given as plain values (keys without the `mcp-secured-api:` prefix;
 * prefixed keys are accepted too). Structured values may be JSON strings, as Pulumi stores them.
 */
export function parseStackConfig(raw: Record<string, unknown>): StackConfig {
  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const key = k.startsWith(`${PROJECT}:`) ? k.slice(PROJECT.length + 1) : k;
    input[key] = typeof v === 'string' && (key === 'users' || key === 'corsOrigins') ? parseJson(key, v) : v;
  }
  const result = stackConfigSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        if (issue.code === 'unrecognized_keys') {
          return {
            key: issue.keys.join(', '),
            message: `is not a known key; known keys: ${Object.keys(stackConfigSchema.shape).join(', ')}`,
          };
        }
        const [key, ...rest] = issue.path.map(String);
        const where = rest.length ? `[${rest.join('.')}]` : '';
        const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
        return { key: `${key ?? '(root)'}${where}`, message };
      }),
    );
  }
  const config = result.data;
  const authorizationServer = config.authorizationServer ?? (config.curityLicenseKey ? 'curity' : 'builtin');
  if (authorizationServer === 'curity' && !config.curityLicenseKey) {
    throw new ConfigError([
      {
        key: 'authorizationServer',
        message:
          'is "curity" but no licence is configured: run `pulumi config set --secret curityLicenseKey <key from license.json>`, ' +
          'or set authorizationServer to "builtin"',
      },
    ]);
  }
  return { ...config, authorizationServer };
}

function parseJson(key: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new ConfigError([{ key, message: 'must be a YAML list (or a JSON array)' }]);
  }
}

/** The agent policy every dynamically registered or metadata-document client gets. */
export interface AgentPolicy {
  clientType: 'mcp';
  clientAssuranceLevel: number;
  accessTokenTtlSeconds: number;
  requirePkce: true;
  refreshTokens: false;
}

/** A confidential client that the authorization server must know; its secret is supplied separately. */
export interface ConfidentialClient {
  id: string;
  /** Which secret in `Secrets` authenticates it. */
  secret: keyof Secrets;
  capabilities: ('introspection' | 'token-exchange')[];
}

/** Secrets the targets generate (Pulumi's random provider, or at start for the local stack). */
export interface Secrets {
  gatewayClientSecret: string;
  mcpClientSecret: string;
  adminPassword: string;
  /** Signs the authorization server's cookies. */
  cookieSecret: string;
}
export const SECRET_NAMES = [
  'gatewayClientSecret',
  'mcpClientSecret',
  'adminPassword',
  'cookieSecret',
] as const satisfies readonly (keyof Secrets)[];

export interface Model {
  config: StackConfig;
  /** Public hostnames, e.g. `api.demo.example`. */
  hosts: PerHost<string>;
  /** Public origins, e.g. `https://api.demo.example` (the local target maps these to localhost ports). */
  origins: PerHost<string>;
  issuer: string;
  /** Public authorization-server endpoints (Curity's paths). */
  endpoints: {
    metadata: string;
    authorize: string;
    token: string;
    introspect: string;
    registration: string;
    revoke: string;
    jwks: string;
    userinfo: string;
    authn: string;
  };
  /** The MCP server's resource identifier: the MCP origin with a trailing slash. */
  mcpResource: string;
  /** The audience of tokens the stocks API accepts. */
  apiAudience: string;
  scope: string;
  /** The scope in plain words, for the consent page (the technical name is shown beside it). */
  scopeDescription: string;
  /** Who users are signing in to, on every sign-in page and in the mail: the setting, else the domain. */
  organizationName: string;
  /** The MCP server's name for people: its protected-resource metadata's `resource_name`, and the consent page's. */
  resourceName: string;
  users: { email: string; region: string }[];
  accessTokenTtlSeconds: number;
  agentPolicy: AgentPolicy;
  clients: { gateway: ConfidentialClient; mcpServer: ConfidentialClient };
  /**
   * Algorithms resource servers accept, and the `typ` access tokens must carry: `at+jwt` from the
   * built-in server; none is required of Curity, whose default token issuer does not promise one
   * (the audience check still keeps ID tokens and other services' tokens out).
   */
  jwt: { algorithms: string[]; typ: string | null };
  /** How long the gateway caches an introspected token at most (seconds). */
  tokenCacheSeconds: number;
  images: typeof IMAGES;
}

export interface BuildOptions {
  /** Replace public origins (the local target serves each host on a localhost port). */
  origins?: Partial<PerHost<string>>;
}

export function buildModel(config: StackConfig, options: BuildOptions = {}): Model {
  const hosts = Object.fromEntries(HOST_NAMES.map((h) => [h, `${h}.${config.domain}`])) as PerHost<string>;
  const origins = Object.fromEntries(
    HOST_NAMES.map((h) => [h, options.origins?.[h] ?? `${config.scheme}://${hosts[h]}`]),
  ) as PerHost<string>;
  const login = origins.login;
  const issuer = `${login}${AS_PATHS.issuer}`;
  return {
    config,
    hosts,
    origins,
    issuer,
    endpoints: {
      metadata: authorizationServerMetadataUrl(issuer).href,
      authorize: `${login}${AS_PATHS.authorize}`,
      token: `${login}${AS_PATHS.token}`,
      introspect: `${login}${AS_PATHS.introspect}`,
      registration: `${login}${AS_PATHS.registration}`,
      revoke: `${login}${AS_PATHS.revoke}`,
      jwks: `${login}${AS_PATHS.jwks}`,
      userinfo: `${login}${AS_PATHS.userinfo}`,
      authn: `${login}${AS_PATHS.authn}`,
    },
    mcpResource: `${origins.mcp}/`,
    apiAudience: origins.api,
    scope: config.scope,
    // The consent page shows the technical name beside the description: the default does not repeat it.
    scopeDescription: config.scopeDescription ?? 'Read stock prices for your region',
    organizationName: config.organizationName ?? config.domain,
    resourceName: 'Stocks MCP server',
    users: config.users,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    agentPolicy: {
      clientType: 'mcp',
      clientAssuranceLevel: config.clientAssuranceLevel,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      requirePkce: true,
      refreshTokens: false,
    },
    clients: {
      gateway: { id: 'api-gateway-client', secret: 'gatewayClientSecret', capabilities: ['introspection'] },
      mcpServer: { id: 'mcp-server-client', secret: 'mcpClientSecret', capabilities: ['token-exchange'] },
    },
    jwt: { algorithms: ['PS256'], typ: config.authorizationServer === 'curity' ? null : 'at+jwt' },
    tokenCacheSeconds: 300,
    images: IMAGES,
  };
}
