/**
 * Generates Kong's declarative configuration from the model: one service per public host, the
 * phantom-token plugin in front of the API and the MCP server, CORS for the configured origins.
 *
 * Pure: upstream addresses are a parameter, so the Docker target (container hostnames) and the
 * local stack (localhost ports) share this function.
 */
import { Document } from 'yaml';
import { AS_PATHS, WELL_KNOWN } from '@mcp-secured-api/contracts';
import type { Model, Secrets } from '../model.ts';
import type { CorsConfig, KongConfig, KongPlugin, KongRoute, KongService } from './types.ts';

/** Where Kong forwards each public host: origins such as `http://stocks-api:3000`. */
export interface KongUpstreams {
  api: string;
  mcp: string;
  /** The authorization server; also where the gateway introspects tokens. */
  login: string;
  /**
   * The test mail inbox; without it the gateway serves no mail host. An origin, or an origin and a
   * path ending in "/" where the inbox is served (a secret path keeps a local inbox's own port
   * useless to web pages that reach it directly).
   */
  mail?: string;
  /** Curity's admin UI; required when Curity runs. */
  admin?: string;
}

export interface KongOptions {
  /** Which authorization server runs behind `login`; defaults to the model's. */
  authorizationServer?: Model['config']['authorizationServer'];
}

/** The model or the upstreams cannot make a Kong configuration; `code` says which way. */
export class KongGenerationError extends Error {
  override name = 'KongGenerationError';
  constructor(
    readonly code: 'ERR_KONG_UPSTREAM_INVALID' | 'ERR_KONG_UPSTREAM_MISSING' | 'ERR_KONG_SECRET_EMPTY',
    message: string,
  ) {
    super(message);
  }
}

export function generateKongConfig(
  model: Model,
  upstreams: KongUpstreams,
  secrets: Pick<Secrets, 'gatewayClientSecret'>,
  options: KongOptions = {},
): KongConfig {
  const curity = (options.authorizationServer ?? model.config.authorizationServer) === 'curity';
  for (const [host, url] of Object.entries(upstreams)) checkOrigin(host, url, host === 'mail');
  if (curity && !upstreams.admin) {
    throw new KongGenerationError(
      'ERR_KONG_UPSTREAM_MISSING',
      'Upstream "admin" is missing: Curity runs, so its admin UI needs an address such as http://curity:6749',
    );
  }
  if (!secrets.gatewayClientSecret) {
    throw new KongGenerationError(
      'ERR_KONG_SECRET_EMPTY',
      "The gateway's client secret is empty: the phantom-token plugin could not authenticate to introspect",
    );
  }

  const cors = corsPlugin(model.config.corsOrigins);
  // The gateway does not check the scope (no `scope` option): the API and the MCP server answer a
  // missing scope with 403 insufficient_scope naming the scope needed, which MCP clients act on.
  const phantomToken: KongPlugin = {
    name: 'phantom-token',
    config: {
      introspection_endpoint: `${upstreams.login}${AS_PATHS.introspect}`,
      client_id: model.clients.gateway.id,
      client_secret: secrets.gatewayClientSecret,
      token_cache_seconds: model.introspectionCacheSeconds,
    },
  };
  const plugins = (...list: (KongPlugin | undefined)[]) => list.filter((p): p is KongPlugin => p !== undefined);
  // Hosts and Origin headers stay public so the services can check them (DNS rebinding), and
  // paths stay whole so each service serves the same paths behind the gateway and directly.
  const publicRoute = (name: string, host: string, paths: string[], routePlugins: KongPlugin[]): KongRoute => ({
    name,
    hosts: [host],
    paths,
    strip_path: false,
    preserve_host: true,
    ...(routePlugins.length ? { plugins: routePlugins } : {}),
  });

  // A client's own Authorization header never reaches a service: on protected routes the
  // phantom-token plugin replaces it with the JWT, but it lets OPTIONS pass untouched, so OPTIONS
  // gets a route of its own (a route that also names methods wins over one that does not) where
  // the header is removed instead; the public metadata route needs no credentials either.
  const withoutAuthorization: KongPlugin = { name: 'request-transformer', config: { remove: { headers: ['Authorization'] } } };
  const protectedRoutes = (name: string, host: string, paths: string[]): KongRoute[] => [
    publicRoute(name, host, paths, plugins(phantomToken, cors)),
    { ...publicRoute(`${name}-options`, host, paths, plugins(cors, withoutAuthorization)), methods: ['OPTIONS'] },
  ];

  const services: KongService[] = [
    {
      name: 'stocks-api',
      url: upstreams.api,
      routes: protectedRoutes('stocks-api', model.hosts.api, ['/stocks']),
    },
    {
      name: 'mcp-server',
      url: upstreams.mcp,
      routes: [
        ...protectedRoutes('mcp-server', model.hosts.mcp, ['/']),
        // Clients read the metadata before they have a token; the longer prefix wins over `/`.
        publicRoute('mcp-server-resource-metadata', model.hosts.mcp, [WELL_KNOWN.protectedResource], plugins(cors, withoutAuthorization)),
      ],
    },
    {
      name: 'authorization-server',
      url: upstreams.login,
      routes: [
        publicRoute('authorization-server', model.hosts.login, ['/'], plugins(cors)),
        ...(curity
          ? [
              // Curity requires every URI in a dynamically registered client's metadata to share the
              // origin of its redirect URIs (against client impersonation). MCP clients register
              // loopback redirect URIs together with a public `client_uri`, so Curity would refuse
              // them: the gateway drops `client_uri` from registration requests. The built-in
              // server accepts such registrations and needs no rewriting.
              publicRoute(
                'authorization-server-registration',
                model.hosts.login,
                [AS_PATHS.registration],
                plugins(cors, {
                  name: 'request-transformer',
                  config: { remove: { body: ['client_uri'] } },
                }),
              ),
            ]
          : []),
      ],
    },
  ];
  if (upstreams.mail) {
    services.push({
      name: 'mail',
      url: upstreams.mail,
      // Only the inbox's own host (Kong answers any other Host with 404), and without maildev's
      // `Access-Control-Allow-Origin: *`: no web page may read the one-time codes in it.
      routes: [
        {
          name: 'mail',
          hosts: [model.hosts.mail],
          paths: ['/'],
          strip_path: false,
          plugins: [{ name: 'response-transformer', config: { remove: { headers: ['Access-Control-Allow-Origin'] } } }],
        },
      ],
    });
  }
  if (curity) {
    services.push({
      name: 'admin',
      url: upstreams.admin!,
      routes: [{ name: 'admin', hosts: [model.hosts.admin], paths: ['/'], strip_path: false }],
    });
  }
  return { _format_version: '3.0', _transform: true, services };
}

/**
 * The same configuration as YAML text, as Kong's `KONG_DECLARATIVE_CONFIG` file expects. Without
 * anchors or aliases: the routes share plugin objects, and Kong's YAML loader gives an alias the
 * same table, which Kong has been seen to mis-list (Kong issue #7620); every plugin is written out.
 */
export function kongConfigYaml(...args: Parameters<typeof generateKongConfig>): string {
  const doc = new Document(generateKongConfig(...args), { aliasDuplicateObjects: false });
  doc.commentBefore = ' Generated from the deployment model. Do not edit: change the stack configuration instead.';
  return doc.toString();
}

/**
 * CORS for the browser origins the user configured (MCP Inspector). Without any, no plugin at all:
 * Kong's CORS plugin with an empty origin list would allow every origin.
 */
function corsPlugin(origins: string[]): KongPlugin | undefined {
  if (origins.length === 0) return undefined;
  const config: CorsConfig = {
    origins,
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    headers: ['Accept', 'Authorization', 'Content-Type', 'Mcp-Protocol-Version', 'Mcp-Session-Id', 'Last-Event-ID'],
    exposed_headers: ['WWW-Authenticate', 'Mcp-Protocol-Version', 'Mcp-Session-Id'],
    max_age: 600,
    credentials: false,
  };
  return { name: 'cors', config };
}

function checkOrigin(host: string, url: string | undefined, pathAllowed = false): void {
  if (url === undefined) return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  const withPath = pathAllowed && parsed !== undefined && parsed.href === url && !parsed.search && !parsed.hash && url.endsWith('/');
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || (parsed.origin !== url && !withPath)) {
    throw new KongGenerationError(
      'ERR_KONG_UPSTREAM_INVALID',
      `Upstream "${host}" must be an origin such as http://stocks-api:3000 (scheme, host and port; no path or trailing slash), got "${url}"`,
    );
  }
}
