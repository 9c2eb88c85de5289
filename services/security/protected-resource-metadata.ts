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
