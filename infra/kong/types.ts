/**
 * The subset of Kong's declarative configuration (`_format_version` 3.0) this project generates.
 * Kong in Docker and the development gateway both read exactly this shape.
 */

export interface PhantomTokenConfig {
  introspection_endpoint: string;
  client_id: string;
  client_secret: string;
  token_cache_seconds: number;
  /** Space-separated scopes that must all be present; omitted so resource servers decide. */
  scope?: string;
  verify_ssl?: boolean;
}

export interface CorsConfig {
  origins: string[];
  methods?: string[];
  headers?: string[];
  exposed_headers?: string[];
  max_age?: number;
  credentials?: boolean;
  preflight_continue?: boolean;
}

/** Lists of `name:value` (add, append, replace, rename) or `name` (remove). */
export interface TransformTargets {
  body?: string[];
  headers?: string[];
  querystring?: string[];
}

export interface RequestTransformerConfig {
  remove?: TransformTargets;
  rename?: TransformTargets;
  replace?: TransformTargets;
  add?: TransformTargets;
  append?: TransformTargets;
}

/** Kong's response-transformer; we only remove headers. */
export interface ResponseTransformerConfig {
  remove?: { headers?: string[] };
}

export type KongPlugin =
  | { name: 'phantom-token'; config: PhantomTokenConfig; enabled?: boolean }
  | { name: 'cors'; config: CorsConfig; enabled?: boolean }
  | { name: 'request-transformer'; config: RequestTransformerConfig; enabled?: boolean }
  | { name: 'response-transformer'; config: ResponseTransformerConfig; enabled?: boolean };

export interface KongRoute {
  name: string;
  hosts: string[];
  paths: string[];
  methods?: string[];
  protocols?: ('http' | 'https')[];
  /** Kong's default is true. */
  strip_path?: boolean;
  /** Kong's default is false. */
  preserve_host?: boolean;
  plugins?: KongPlugin[];
}

export interface KongService {
  name: string;
  url: string;
  connect_timeout?: number;
  read_timeout?: number;
  write_timeout?: number;
  retries?: number;
  routes: KongRoute[];
  plugins?: KongPlugin[];
}

export interface KongConfig {
  _format_version: '3.0';
  _transform: true;
  services: KongService[];
}
