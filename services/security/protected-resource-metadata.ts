/** OAuth 2.0 Protected Resource Metadata (RFC 9728): what a client needs to get a token for us. */

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: ['header'];
  resource_name: string;
}

export function protectedResourceMetadata(options: {
  resource: string;
  issuer: string;
  scope: string;
  resourceName: string;
}): ProtectedResourceMetadata {
  return {
    resource: options.resource,
    authorization_servers: [options.issuer],
    scopes_supported: [options.scope],
    bearer_methods_supported: ['header'],
    resource_name: options.resourceName,
  };
}

export const WELL_KNOWN_PROTECTED_RESOURCE = '/.well-known/oauth-protected-resource';

/**
 * Where a resource's metadata lives (RFC 9728 §3.1): the well-known path inserted between the
 * host and the resource's path, with a terminating slash removed. For `https://mcp.example/` it is
 * `https://mcp.example/.well-known/oauth-protected-resource`.
 */
export function protectedResourceMetadataUrl(resource: string): URL {
  const url = new URL(resource);
  const path = url.pathname.replace(/\/$/, '');
  return new URL(`${WELL_KNOWN_PROTECTED_RESOURCE}${path}${url.search}`, url.origin);
}
