/**
 * The Kong declarative configuration the gateway understands: exactly the subset our generator
 * writes, validated strictly. Anything else (another plugin, an unknown field, a regex path, a host
 * with a port) is refused at start, because the gateway must never silently behave unlike Kong.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const HTTP_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// A host as Kong accepts it in `hosts`: a DNS name, optionally with one wildcard label at either end.
const ROUTE_HOST = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.\*)?$/;

const timeoutMs = z.number().int().min(1).max(2_147_483_646);

/** Kong's `name:value` entries: the name runs to the first colon, further leading colons are skipped. */
export function splitPair(entry: string): { name: string; value: string } {
  const m = /^([^:]+):*([\s\S]*)$/.exec(entry);
  return { name: m?.[1] ?? entry, value: m?.[2] ?? '' };
}

const noTemplate = (v: string) => !v.includes('$(');
const templateMessage = 'uses a $(...) template, which the development gateway does not evaluate';

const nameList = z.array(z.string().min(1)).default([]);
const pairList = z
  .array(
    z
      .string()
      .refine((e) => splitPair(e).value !== '', { message: 'must be "name:value"' })
      .refine((e) => noTemplate(splitPair(e).value), { message: templateMessage }),
  )
  .default([]);
const headerNameList = z.array(z.string().regex(HEADER_NAME, 'must be a valid header name')).default([]);
const headerPairList = z
  .array(
    z
      .string()
      .refine((e) => HEADER_NAME.test(splitPair(e).name), { message: 'must start with a valid header name' })
      .refine((e) => splitPair(e).value !== '', { message: 'must be "name:value"' })
      .refine((e) => noTemplate(splitPair(e).value), { message: templateMessage }),
  )
  .default([]);

const removeLists = z.strictObject({ body: nameList, headers: headerNameList, querystring: nameList });
const pairLists = z.strictObject({ body: pairList, headers: headerPairList, querystring: pairList });
const renameLists = pairLists.extend({
  headers: z
    .array(
      z.string().refine((e) => HEADER_NAME.test(splitPair(e).name) && HEADER_NAME.test(splitPair(e).value), {
        message: 'must be "old-header:new-header"',
      }),
    )
    .default([]),
});
const emptyLists = { body: [], headers: [], querystring: [] };

const phantomTokenConfig = z.strictObject({
  introspection_endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  // The plugin treats a missing or non-positive value as 300.
  token_cache_seconds: z
    .number()
    .default(300)
    .transform((s) => (s > 0 ? s : 300)),
  scope: z.string().optional(),
  verify_ssl: z.boolean().default(true),
});

const corsConfig = z.strictObject({
  origins: z
    .array(z.string().refine((o) => o === '*' || isRegex(o), { message: 'must be "*", an origin or a valid regular expression' }))
    .optional(),
  methods: z.array(z.enum(HTTP_METHODS)).default([...HTTP_METHODS]),
  headers: z.array(z.string()).optional(),
  exposed_headers: z.array(z.string()).optional(),
  max_age: z.number().optional(),
  credentials: z.boolean().default(false),
  private_network: z.boolean().default(false),
  preflight_continue: z.boolean().default(false),
});

const requestTransformerConfig = z.strictObject({
  remove: removeLists.default(emptyLists),
  rename: renameLists.default(emptyLists),
  replace: pairLists.default(emptyLists),
  add: pairLists.default(emptyLists),
  append: pairLists.default(emptyLists),
});

// Kong's response-transformer: only header removal (what we generate); anything else is refused.
const responseTransformerConfig = z.strictObject({
  remove: z.strictObject({ headers: headerNameList }).default({ headers: [] }),
});

const plugin = <N extends string, C extends z.ZodType>(name: N, config: C) =>
  z.strictObject({ name: z.literal(name), enabled: z.boolean().default(true), config });

export const PLUGIN_NAMES = ['cors', 'phantom-token', 'request-transformer', 'response-transformer'] as const;

const pluginSchema = z.discriminatedUnion('name', [
  plugin('phantom-token', phantomTokenConfig),
  plugin('cors', corsConfig.default(corsConfig.parse({}))),
  plugin('request-transformer', requestTransformerConfig.default(requestTransformerConfig.parse({}))),
  plugin('response-transformer', responseTransformerConfig.default(responseTransformerConfig.parse({}))),
]);

const pluginList = z
  .array(pluginSchema)
  .default([])
  .refine((ps) => new Set(ps.map((p) => p.name)).size === ps.length, {
    message: 'names the same plugin twice (Kong allows one instance per plugin and entity)',
  });

const routeSchema = z
  .strictObject({
    name: z.string().min(1),
    hosts: z
      .array(
        z
          .string()
          .toLowerCase()
          .refine((h) => ROUTE_HOST.test(h) && !(h.startsWith('*.') && h.endsWith('.*')), {
            message: 'must be a host name, optionally with a leading "*." or trailing ".*" wildcard (no port)',
          }),
      )
      .optional(),
    paths: z
      .array(
        z
          .string()
          .refine((p) => !p.startsWith('~'), { message: 'is a regex path, which the development gateway does not support' })
          .refine((p) => p.startsWith('/'), { message: 'must be a path prefix starting with "/"' }),
      )
      .optional(),
    methods: z.array(z.string().regex(/^[A-Z]+$/, 'must be an upper-case HTTP method')).optional(),
    protocols: z
      .array(z.enum(['http', 'https']))
      .min(1)
      .default(['http', 'https']),
    strip_path: z.boolean().default(true),
    preserve_host: z.boolean().default(false),
    plugins: pluginList,
  })
  .refine((r) => Boolean(r.hosts?.length || r.paths?.length || r.methods?.length), {
    message: 'must set at least one of hosts, paths or methods',
  });

const serviceSchema = z.strictObject({
  name: z.string().min(1),
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://stocks-api:3000' })
    .refine((u) => !new URL(u).search && !new URL(u).hash && !new URL(u).username, {
      message: 'must not carry a query, fragment or credentials',
    }),
  connect_timeout: timeoutMs.default(60_000),
  read_timeout: timeoutMs.default(60_000),
  write_timeout: timeoutMs.default(60_000),
  retries: z.number().int().min(0).max(32_767).default(5),
  routes: z.array(routeSchema).default([]),
  plugins: pluginList,
});

const kongConfigSchema = z
  .strictObject({
    _format_version: z.literal('3.0', { error: 'must be "3.0"' }),
    _transform: z.boolean().default(true),
    services: z.array(serviceSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.services.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: 'is used by another service' });
      seen.add(s.name);
    });
    const routes = new Set<string>();
    cfg.services.forEach((s, i) =>
      s.routes.forEach((r, j) => {
        if (routes.has(r.name))
          ctx.addIssue({ code: 'custom', path: ['services', i, 'routes', j, 'name'], message: 'is used by another route' });
        routes.add(r.name);
      }),
    );
  });

export type KongConfig = z.output<typeof kongConfigSchema>;
export type KongService = KongConfig['services'][number];
export type KongRoute = KongService['routes'][number];
export type KongPlugin = z.output<typeof pluginSchema>;
export type PluginConfig<N extends KongPlugin['name']> = Extract<KongPlugin, { name: N }>['config'];

/** The configuration is not one the gateway can serve as Kong would; `problems` name each place. */
export class KongConfigError extends Error {
  override name = 'KongConfigError';
  readonly code = 'ERR_KONG_CONFIG_UNSUPPORTED';
  constructor(readonly problems: string[]) {
    super(`Invalid Kong declarative configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses and validates a declarative configuration; throws `KongConfigError` naming every problem. */
export function loadKongConfig(yamlText: string): KongConfig {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (e) {
    throw new KongConfigError([`not valid YAML: ${(e as Error).message}`]);
  }
  return validateKongConfig(raw);
}

/** Validates an already parsed configuration object (as `loadKongConfig` does after YAML). */
export function validateKongConfig(raw: unknown): KongConfig {
  const result = kongConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new KongConfigError(result.error.issues.map((issue) => describeIssue(raw, issue)));
}

function describeIssue(raw: unknown, issue: z.core.$ZodIssue): string {
  let where = '';
  let node: unknown = raw;
  for (const key of issue.path) {
    node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
    where += typeof key === 'number' ? `[${key}]` : `${where ? '.' : ''}${String(key)}`;
    const name = node && typeof node === 'object' && !Array.isArray(node) ? (node as { name?: unknown }).name : undefined;
    if (typeof key === 'number' && typeof name === 'string') where += `(${name})`;
  }
  where ||= '(top level)';
  if (issue.code === 'invalid_union' && issue.path.at(-1) === 'name' && issue.path.at(-3) === 'plugins') {
    return `${where}: unknown plugin ${JSON.stringify(node)}; the development gateway supports ${PLUGIN_NAMES.join(', ')}`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}, not part of the configuration the development gateway understands`;
  }
  return `${where}: ${issue.message}`;
}

function isRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
