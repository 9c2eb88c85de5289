/**
 * The typed deployment model: the single source of truth for every generator and target.
 *
 * `parseStackConfig` validates the user's configuration (keys without the project namespace);
 * `buildModel` derives everything else once: public hosts and origins, the issuer and its endpoints,
 * the audiences, and the confidential clients the authorization server must know.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import {
  AS_PATHS,
  authorizationServerMetadataUrl,
  TOKEN_SIGNING_ALGORITHM_EXPECTED,
  TOKEN_SIGNING_ALGORITHMS,
  type TokenSigningAlgorithm,
} from '@mcp-secured-api/contracts';
import { IMAGES } from './versions.ts';

export const PROJECT = 'mcp-secured-api';

/** The public hosts, each a subdomain of `domain`. */
export const HOST_NAMES = ['api', 'mcp', 'login', 'admin', 'mail'] as const;
export type HostName = (typeof HOST_NAMES)[number];
export type PerHost<T> = Record<HostName, T>;

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// RFC 6749 scope-token characters, no spaces: one scope.
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** A Kubernetes name: a DNS-1123 label. */
const K8S_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const k8sName = (example: string) =>
  z
    .string()
    .trim()
    .regex(K8S_NAME, { message: `must be a Kubernetes name such as ${example} (lower-case letters, digits and hyphens)` });
const CPU = /^\d+(\.\d+)?m?$/;
const MEMORY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
/** Structured values arrive from `pulumi config set --path` as strings. */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], { message: 'must be true or false' });
const count = (min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` });

interface Compute {
  cpu: string;
  memory: string;
}
/** CPU and memory, each defaulting on its own so a user can change one. */
const computeSchema = (d: Compute) =>
  z
    .object({
      cpu: z.string().regex(CPU, { message: 'must be a CPU quantity such as 250m or 1' }).default(d.cpu),
      memory: z.string().regex(MEMORY, { message: 'must be a memory quantity such as 256Mi or 1Gi' }).default(d.memory),
    })
    .strict()
    .prefault({});
const resourcesSchema = (requests: Compute, limits: Compute) =>
  z
    .object({ requests: computeSchema(requests), limits: computeSchema(limits) })
    .strict()
    .prefault({});

/** The parts of the Kubernetes deployment whose size is configurable. */
export const KUBERNETES_WORKLOADS = ['gateway', 'mcpServer', 'stocksApi', 'authorizationServer', 'curity', 'postgres', 'maildev'] as const;

const kubernetesSchema = z
  .object({
    namespace: k8sName('mcp-secured-api').default('mcp-secured-api'),
    /** Where the images built from this repository (and Kong with the phantom-token plugin) are pushed. */
    imageRegistry: z
      .string()
      .trim()
      .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, {
        message: 'must be an image repository prefix such as registry.example.com/mcp-secured-api (no tag, no trailing slash)',
      })
      .optional(),
    imageTag: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { message: 'must be an image tag such as 0.1.0' })
      .optional(),
    /** Names of existing docker-registry Secrets in the namespace, for a private registry. */
    imagePullSecrets: z.array(k8sName('registry-credentials')).default([]),
    replicas: z
      .object({
        gateway: count(1, 50).default(2),
        mcpServer: count(1, 50).default(2),
        stocksApi: count(1, 50).default(2),
        authorizationServer: count(1, 10).default(2),
      })
      .strict()
      .prefault({}),
    /** The MCP server's autoscaler, between `replicas.mcpServer` and `maxReplicas`. */
    autoscaling: z
      .object({
        mcpServerMaxReplicas: count(1, 100).default(10),
        targetCpuUtilization: count(10, 100).default(70),
      })
      .strict()
      .prefault({}),
    resources: z
      .object({
        gateway: resourcesSchema({ cpu: '200m', memory: '256Mi' }, { cpu: '1', memory: '512Mi' }),
        mcpServer: resourcesSchema({ cpu: '250m', memory: '192Mi' }, { cpu: '1', memory: '384Mi' }),
        stocksApi: resourcesSchema({ cpu: '100m', memory: '128Mi' }, { cpu: '500m', memory: '256Mi' }),
        authorizationServer: resourcesSchema({ cpu: '100m', memory: '192Mi' }, { cpu: '500m', memory: '384Mi' }),
        curity: resourcesSchema({ cpu: '500m', memory: '1Gi' }, { cpu: '2', memory: '2Gi' }),
        postgres: resourcesSchema({ cpu: '100m', memory: '256Mi' }, { cpu: '1', memory: '1Gi' }),
        maildev: resourcesSchema({ cpu: '50m', memory: '64Mi' }, { cpu: '200m', memory: '256Mi' }),
      })
      .strict()
      .prefault({}),
    /** An existing PostgreSQL database (a secret); without it a PostgreSQL StatefulSet is deployed. */
    databaseUrl: z
      .string()
      .trim()
      .refine((u) => isPostgresUrl(u), {
        message: 'must be a PostgreSQL URL such as postgresql://user:password@db.example.com:5432/mcp (set it with --secret)',
      })
      .optional(),
    /** The deployed PostgreSQL's volume. */
    storage: z
      .object({
        size: z.string().regex(MEMORY, { message: 'must be a size such as 5Gi' }).default('5Gi'),
        storageClassName: k8sName('standard').optional(),
      })
      .strict()
      .prefault({}),
    /** The older name of the top-level `mailInbox`, still read. */
    mailInbox: flag.optional(),
    /** Expose the gateway through an Ingress of this class instead of a LoadBalancer Service. */
    ingressClassName: k8sName('nginx').optional(),
    /**
     * Further proxies whose X-Forwarded-For the authorization server believes, beside the gateway's
     * pods: the pod range of the Ingress controller in front of the gateway, for instance.
     */
    trustedProxies: z
      .array(z.string().trim().refine(isAddressOrRange, { message: 'must be an IP address or CIDR range such as 10.244.0.0/16' }))
      .default([]),
    /** A kubernetes.io/tls Secret in the namespace for the public hosts; without it a private CA issues one. */
    tlsSecretName: k8sName('mcp-secured-api-tls').optional(),
  })
  .strict();

const smtpSchema = z
  .object({
    host: z
      .string()
      .trim()
      .refine((h) => DOMAIN.test(h.toLowerCase()) || /^[0-9.]+$/.test(h), { message: 'must be a host name such as smtp.example.com' }),
    port: count(1, 65_535).default(587),
    /** `starttls` upgrades a plain connection (port 587), `tls` connects with TLS (port 465). */
    security: z.enum(['starttls', 'tls', 'none'], { message: 'must be "starttls", "tls" or "none"' }).default('starttls'),
    user: z.string().trim().min(1).optional(),
    /** The sender address; defaults to no-reply@<domain>. */
    from: z.email({ message: 'must be an email address such as no-reply@example.com' }).optional(),
  })
  .strict();

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
    refreshTokenTtlSeconds: z.coerce
      .number({ message: 'must be a number of seconds' })
      .int({ message: 'must be a whole number of seconds' })
      .min(0, { message: 'must be 0 (no refresh tokens) or more' })
      .max(7_776_000, { message: 'must be at most 7776000 seconds (90 days)' })
      .refine((s) => s === 0 || s >= 60, { message: 'must be 0 (no refresh tokens) or at least 60 seconds' })
      .default(86_400),
    /**
     * How long the gateway may keep using an introspection answer: the most a revoked token keeps
     * working at the gateway. Kong's phantom-token plugin and the development gateway cache for
     * this long at most, and the built-in server's introspection answers say no longer.
     */
    introspectionCacheSeconds: z.coerce
      .number({ message: 'must be a number of seconds' })
      .int({ message: 'must be a whole number of seconds' })
      .min(1, { message: 'must be at least 1 second (the phantom-token plugin reads 0 as its default, 300)' })
      .max(300, { message: 'must be at most 300 seconds: a revoked token keeps working at the gateway this long' })
      .default(30),
    /**
     * How access tokens are signed. ES256 by default: it signs in a fraction of PS256's time (a new
     * token's first tool call waits on a signature), and more JWT libraries accept it than EdDSA
     * (the API receives the exchanged token). A change makes the authorization server sign with a
     * new key, and resource servers then accept only the new algorithm.
     */
    tokenSigningAlgorithm: z.enum(TOKEN_SIGNING_ALGORITHMS, { message: TOKEN_SIGNING_ALGORITHM_EXPECTED }).default('ES256'),
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
    /** Where `pulumi up` deploys: Docker on this machine, or the cluster of the current kubeconfig. */
    target: z.enum(['docker', 'kubernetes'], { message: 'must be "docker" or "kubernetes"' }).default('docker'),
    kubernetes: kubernetesSchema.prefault({}),
    /**
     * Run the test mail inbox (maildev), where one-time codes go; false sends them through `smtp`.
     * Anyone who reaches the inbox reads every code: for demonstrations only. Default: true.
     */
    mailInbox: flag.optional(),
    /** A real mail relay for one-time codes; its password is the secret `smtpPassword`. */
    smtp: smtpSchema.optional(),
    smtpPassword: z.string().min(1, { message: 'must not be empty; remove the key when the relay needs no password' }).optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const k = config.kubernetes;
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (config.mailInbox !== undefined && k.mailInbox !== undefined && config.mailInbox !== k.mailInbox) {
      issue(['kubernetes', 'mailInbox'], 'contradicts mailInbox: remove kubernetes.mailInbox, the older name of mailInbox');
    }
    if (!mailInboxOf(config) && !config.smtp) {
      issue(
        ['smtp'],
        'is required when mailInbox is false: name the mail relay that sends one-time codes, such as {host: smtp.example.com}',
      );
    }
    if (config.smtpPassword && !config.smtp?.user) {
      issue(['smtp', 'user'], 'is required with smtpPassword: name the account the relay knows');
    }
    if (k.autoscaling.mcpServerMaxReplicas < k.replicas.mcpServer) {
      issue(
        ['kubernetes', 'autoscaling', 'mcpServerMaxReplicas'],
        `must be at least kubernetes.replicas.mcpServer (${k.replicas.mcpServer})`,
      );
    }
    if (config.target !== 'kubernetes') return;
    for (const key of ['imageRegistry', 'imageTag'] as const) {
      if (!k[key]) {
        issue(
          ['kubernetes', key],
          'is required for target "kubernetes": the cluster pulls the images built from this repository from a registry ' +
            '(see "Deploying to Kubernetes" in the README for the build and push commands)',
        );
      }
    }
  });

/** `mailInbox`, else its older name `kubernetes.mailInbox`, else on. */
function mailInboxOf(config: { mailInbox?: boolean; kubernetes: { mailInbox?: boolean } }): boolean {
  return config.mailInbox ?? config.kubernetes.mailInbox ?? true;
}

export type StackConfigInput = z.input<typeof stackConfigSchema>;
type ParsedStackConfig = z.output<typeof stackConfigSchema>;
export type StackConfig = Omit<ParsedStackConfig, 'mailInbox' | 'kubernetes'> & {
  mailInbox: boolean;
  kubernetes: Omit<ParsedStackConfig['kubernetes'], 'mailInbox'>;
  authorizationServer: 'curity' | 'builtin';
};

/** A configuration problem, naming the key and the expected form. */
export class StackConfigError extends Error {
  override name = 'StackConfigError';
  readonly code = 'ERR_STACK_CONFIG_INVALID';
  constructor(readonly problems: { key: string; message: string }[]) {
    super(`Invalid stack configuration:\n` + problems.map((p) => `  - ${PROJECT}:${p.key} ${p.message}`).join('\n'));
  }
}

/** An IP address, or one with a prefix length that fits its family (10.244.0.0/16, fd00::/8). */
function isAddressOrRange(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const version = isIP(address);
  if (!version || rest.length) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

function isPostgresUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '' && u.pathname.length > 1;
  } catch {
    return false;
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

/** Keys whose values are lists or objects: Pulumi passes them to the program as JSON text. */
const STRUCTURED_KEYS = new Set(['users', 'corsOrigins', 'kubernetes', 'smtp']);

/**
 * Validates configuration given as plain values (keys without the `mcp-secured-api:` prefix;
 * prefixed keys are accepted too). Structured values may be JSON strings, as Pulumi stores them.
 */
export function parseStackConfig(raw: Record<string, unknown>): StackConfig {
  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const key = k.startsWith(`${PROJECT}:`) ? k.slice(PROJECT.length + 1) : k;
    input[key] = typeof v === 'string' && STRUCTURED_KEYS.has(key) ? parseJson(key, v) : v;
  }
  const result = stackConfigSchema.safeParse(input);
  if (!result.success) {
    throw new StackConfigError(
      result.error.issues.map((issue) => {
        const path = issue.path.map(String);
        if (issue.code === 'unrecognized_keys') {
          const known = path.length ? knownKeys(path) : Object.keys(stackConfigSchema.shape);
          return {
            key: issue.keys.map((k) => configKey([...path, k])).join(', '),
            message: `is not a known key; known keys${path.length ? ` of ${configKey(path)}` : ''}: ${known.join(', ')}`,
          };
        }
        const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
        return { key: configKey(path), message };
      }),
    );
  }
  const config = result.data;
  const authorizationServer = config.authorizationServer ?? (config.curityLicenseKey ? 'curity' : 'builtin');
  if (authorizationServer === 'curity' && !config.curityLicenseKey) {
    throw new StackConfigError([
      {
        key: 'authorizationServer',
        message:
          'is "curity" but no licence is configured: run `pulumi config set --secret curityLicenseKey <key from license.json>`, ' +
          'or set authorizationServer to "builtin"',
      },
    ]);
  }
  const { mailInbox: _olderName, ...kubernetes } = config.kubernetes;
  return { ...config, kubernetes, mailInbox: mailInboxOf(config), authorizationServer };
}

/**
 * How a path is written in messages: `users[0.email]` inside lists, `kubernetes.replicas.mcpServer`
 * inside objects (the form `pulumi config set --path` takes).
 */
function configKey(path: string[]): string {
  const [key, ...rest] = path;
  if (!rest.length) return key ?? '(root)';
  return /^\d+$/.test(rest[0]!) ? `${key}[${rest.join('.')}]` : `${key}.${rest.join('.')}`;
}

/** The keys a nested object of the configuration accepts. */
function knownKeys(path: string[]): string[] {
  let schema: z.ZodType = stackConfigSchema;
  for (const segment of path) {
    schema = unwrap(schema);
    const shape = (schema as { shape?: Record<string, z.ZodType> }).shape;
    if (!shape?.[segment]) return [];
    schema = shape[segment];
  }
  const shape = (unwrap(schema) as { shape?: Record<string, z.ZodType> }).shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema as z.ZodType & { unwrap?: () => z.ZodType; def?: { innerType?: z.ZodType } };
  while (current.def?.innerType) current = current.def.innerType as typeof current;
  return current;
}

function parseJson(key: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new StackConfigError([{ key, message: 'must be a YAML list or object (or the same in JSON)' }]);
  }
}

/** The agent policy every dynamically registered or metadata-document client gets. */
export interface AgentPolicy {
  clientType: 'mcp';
  clientAssuranceLevel: number;
  accessTokenTtlSeconds: number;
  requirePkce: true;
  /**
   * How long a refresh token lives; each use gives a new one and the used one stops working.
   * Issued only to clients that ask for `offline_access` when the user approves it; 0: none.
   */
  refreshTokenTtlSeconds: number;
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
  /** Encrypts the built-in authorization server's signing keys in its database. */
  keyEncryptionKey: string;
}
export const SECRET_NAMES = [
  'gatewayClientSecret',
  'mcpClientSecret',
  'adminPassword',
  'cookieSecret',
  'keyEncryptionKey',
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
  jwt: { algorithms: [TokenSigningAlgorithm, ...TokenSigningAlgorithm[]]; typ: string | null };
  /** How long the gateway caches an introspected token at most (seconds): the revocation window. */
  introspectionCacheSeconds: number;
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
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    },
    clients: {
      gateway: { id: 'api-gateway-client', secret: 'gatewayClientSecret', capabilities: ['introspection'] },
      mcpServer: { id: 'mcp-server-client', secret: 'mcpClientSecret', capabilities: ['token-exchange'] },
    },
    jwt: { algorithms: [config.tokenSigningAlgorithm], typ: config.authorizationServer === 'curity' ? null : 'at+jwt' },
    introspectionCacheSeconds: config.introspectionCacheSeconds,
    images: IMAGES,
  };
}
