/**
 * The built-in authorization server's configuration: the typed model's values, validated once.
 */
import { z } from 'zod';
import { AS_PATHS, TOKEN_SIGNING_ALGORITHM_EXPECTED, TOKEN_SIGNING_ALGORITHMS } from '@mcp-secured-api/contracts';
import { parseProxyEntry, PROXY_ENTRY_MESSAGE } from './trusted-proxies.ts';

// RFC 6749 scope-token characters: one scope, no spaces.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const origin = z.url({ protocol: /^https?$/ }).refine((o) => new URL(o).origin === o, {
  message: 'must be an origin such as https://login.demo.example (scheme, host, optional port; no path or trailing slash)',
});
const absoluteUrl = z.url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL' });
const secret = z.string().min(16, { message: 'must be at least 16 characters; generate it randomly' });
const confidentialClient = z.object({ id: z.string().min(1), secret }).strict();
/** 90 days: the longest a refresh token may live. */
export const REFRESH_TOKEN_TTL_MAX = 7_776_000;

export const authorizationServerConfigSchema = z
  .object({
    /** `<loginOrigin>/oauth/v2/oauth-anonymous`. */
    issuer: absoluteUrl,
    /** The public origin of the login host: every URL the server publishes is built on it. */
    loginOrigin: origin,
    /** The MCP server's resource identifier (with its trailing slash): the audience of agents' tokens. */
    mcpResource: absoluteUrl,
    /** The audience of exchanged tokens: the API. */
    apiAudience: absoluteUrl,
    scope: z.string().regex(SCOPE_TOKEN, { message: 'must be one OAuth scope token' }),
    scopeDescription: z.string().min(1),
    /** Who users sign in to: heads every page and names the sender in the mail. */
    organizationName: z.string().min(1).max(100),
    /** The MCP server's name for people (its protected-resource metadata's `resource_name`), on the consent page. */
    resourceName: z.string().min(1).max(100),
    users: z
      .array(z.object({ email: z.email().transform((e) => e.toLowerCase()), region: z.string().min(1) }).strict())
      .min(1, { message: 'must list at least one user: only they may sign in' }),
    // The deployment model holds agents to at least 30 s; the server itself accepts shorter lives so
    // that whole-system tests can watch tokens expire without waiting half a minute.
    accessTokenTtlSeconds: z.number().int().min(1).max(86_400),
    /** How long a refresh token lives (each use gives a new one); 0: no refresh tokens. */
    refreshTokenTtlSeconds: z.number().int().min(0).max(REFRESH_TOKEN_TTL_MAX).default(86_400),
    /**
     * The longest `max-age` an introspection answer carries: how long the gateway may keep using it,
     * so how long a revoked token can keep working there.
     */
    introspectionCacheSeconds: z.number().int().min(1).max(300).default(30),
    /**
     * API tokens kept per subject token and scope, so that exchanging the same token again hands
     * out the one signed before (and a new token's first exchange finds one signed at issuance).
     * 0 signs a new API token at every exchange, as an authorization server that keeps none does.
     */
    exchangedTokenEntries: z.number().int().min(0).max(1_000_000).default(10_000),
    /**
     * The algorithm of the keys this server makes and signs with. Keys made earlier for another
     * algorithm keep verifying until their tokens expire; opening with a new one rotates the key.
     */
    signingAlgorithm: z.enum(TOKEN_SIGNING_ALGORITHMS, { message: TOKEN_SIGNING_ALGORITHM_EXPECTED }).default('ES256'),
    clientType: z.string().min(1).default('mcp'),
    clientAssuranceLevel: z.number().int().min(0).max(3),
    clients: z.object({ gateway: confidentialClient, mcpServer: confidentialClient }).strict(),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65_535),
        from: z.email(),
        /** `none` for a test inbox on the local network; `starttls` or `tls` for a relay, its certificate verified. */
        security: z.enum(['none', 'starttls', 'tls']).default('none'),
        user: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
      })
      .strict()
      .refine((s) => !s.password || s.user, { message: 'has a password but no user', path: ['user'] }),
    cookieSecret: z.string().min(32, { message: 'must be at least 32 characters; generate it randomly' }),
    /** Encrypts the signing keys' private parts in the database; keep it with the database's backups, apart from them. */
    keyEncryptionKey: z.string().min(32, { message: 'must be at least 32 characters; generate it randomly' }),
    clientMetadata: z
      .object({
        /** Development only: fetch Client ID Metadata Documents from loopback hosts, over http too. */
        allowLoopback: z.boolean().default(false),
        /** Development only: fetch them from private networks (RFC 1918, unique-local IPv6). */
        allowPrivateNetworks: z.boolean().default(false),
      })
      .strict()
      .default({ allowLoopback: false, allowPrivateNetworks: false }),
    /**
     * The proxies whose `X-Forwarded-For` is believed (the gateway): IP addresses, CIDR ranges or
     * host names (resolved, and again every 10 s). From a trusted peer, a request counts against
     * the rightmost `X-Forwarded-For` entry that is not a trusted proxy; from anyone else, against
     * the connection's own address. Empty: `X-Forwarded-For` is never believed.
     */
    trustProxy: z.array(z.string().refine((e) => parseProxyEntry(e) !== undefined, { message: PROXY_ENTRY_MESSAGE })).default([]),
  })
  .strict()
  .refine((c) => c.issuer === `${c.loginOrigin}${AS_PATHS.issuer}`, {
    path: ['issuer'],
    message: `must be the login origin followed by ${AS_PATHS.issuer}`,
  })
  .refine((c) => c.clients.gateway.id !== c.clients.mcpServer.id, {
    path: ['clients'],
    message: 'the gateway and the MCP server must have different client ids',
  });

export type AuthorizationServerConfigInput = z.input<typeof authorizationServerConfigSchema>;
export type AuthorizationServerConfig = z.output<typeof authorizationServerConfigSchema>;

/** Validates a configuration, throwing an error that names each bad field. */
export function parseAuthorizationServerConfig(input: unknown): AuthorizationServerConfig {
  const result = authorizationServerConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`Invalid authorization server configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
