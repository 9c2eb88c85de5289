/** The public URLs users and clients need, the same for every target. */
import { protectedResourceMetadataUrl } from '@mcp-secured-api/contracts';
import type { Model } from './model.ts';

/** Public URLs users and clients need. */
export interface PublicEndpoints {
  mcpServer: string;
  resourceMetadata: string;
  stocksApi: string;
  issuer: string;
  authorizationServerMetadata: string;
  /** The test inbox, when one runs. */
  mailInbox?: string;
  adminUi?: string;
}

export function publicEndpoints(model: Model): PublicEndpoints {
  return {
    mcpServer: model.mcpResource,
    resourceMetadata: protectedResourceMetadataUrl(model.mcpResource).href,
    stocksApi: `${model.origins.api}/stocks`,
    issuer: model.issuer,
    authorizationServerMetadata: model.endpoints.metadata,
    ...(model.config.mailInbox ? { mailInbox: `${model.origins.mail}/` } : {}),
    ...(model.config.authorizationServer === 'curity' ? { adminUi: `${model.origins.admin}/admin` } : {}),
  };
}
