/**
 * Curity's phantom-token plugin for Kong (kong-phantom-token 2.0.1): swaps the client's opaque
 * access token for the JWT the authorization server returns from introspection, and forwards the
 * JWT in `Authorization`. Status codes, headers and bodies are the plugin's: 401 with a bare
 * `WWW-Authenticate: Bearer` for a missing or inactive token (any introspection status but 200
 * and 500), 500 when introspection fails, 403 when a configured scope is missing.
 */
import type { PluginConfig } from '../config.ts';
import { introspect, type IntrospectionAgents } from '../introspection.ts';
import type { Plugin } from '../pipeline.ts';
import type { PhantomTokenCache } from '../token-cache.ts';

type PhantomTokenConfig = PluginConfig<'phantom-token'>;

export interface PhantomTokenDeps {
  cache: PhantomTokenCache;
  agents: IntrospectionAgents;
  timeoutMs: number;
  log: (event: Record<string, unknown>) => void;
}

function refusal(method: string, status: number, code: string, message: string): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  // The plugin writes no body for HEAD.
  const body = method === 'HEAD' ? null : `{"code":"${code}","message":"${message}"}\n`;
  return new Response(body, { status, headers });
}

export const unauthorized = (method: string) => refusal(method, 401, 'unauthorized', 'Missing, invalid or expired access token');
const forbidden = (method: string) => refusal(method, 403, 'forbidden', 'The token does not contain the required scope');
const serverError = (method: string) => refusal(method, 500, 'server_error', 'Problem encountered authorizing the HTTP request');

export function phantomToken(conf: PhantomTokenConfig, deps: PhantomTokenDeps): Plugin {
  // Each must be in the JWT's `scope` claim, checked on every request, whether the JWT was cached or not.
  const requiredScopes = conf.scope?.split(/\s+/).filter(Boolean) ?? [];
  const cacheScope = `${conf.introspection_endpoint}\n${conf.client_id}`;

  return async function phantomTokenPlugin(req, next) {
    const method = req.client.method;
    if (method === 'OPTIONS') return next(req);

    const header = req.client.headers.get('authorization') ?? '';
    const token = header.length > 7 && header.slice(0, 7).toLowerCase() === 'bearer ' ? header.slice(7).replace(/\s+/g, '') : '';
    if (!token) return unauthorized(method);

    const result = await deps.cache.resolve(cacheScope, token, conf.token_cache_seconds, () =>
      introspect({
        endpoint: conf.introspection_endpoint,
        clientId: conf.client_id,
        clientSecret: conf.client_secret,
        token,
        timeoutMs: deps.timeoutMs,
        verifySsl: conf.verify_ssl,
        agents: deps.agents,
      }),
    );
    if (result.status === 'failed' || result.status === 500) {
      deps.log({
        event: 'introspection_failed',
        endpoint: conf.introspection_endpoint,
        reason: 'reason' in result ? result.reason : 'status 500',
      });
      return serverError(method);
    }
    if (!('jwt' in result)) return unauthorized(method);
    if (!requiredScopes.every((s) => result.scopes?.has(s))) return forbidden(method);

    req.headers.set('authorization', `Bearer ${result.jwt}`);
    return next(req);
  };
}
