/**
 * Who the clients are: the two confidential clients of the deployment (the gateway introspects,
 * the MCP server exchanges tokens), clients registered dynamically, and clients named by a
 * metadata document URL. Client authentication per RFC 6749 §2.3: `client_secret_basic`,
 * `client_secret_post`, or `none` for public clients, each client only with the method it is
 * registered for.
 */
import { parseBasicAuthorization, tokenHash } from '@mcp-secured-api/contracts';
import type { AuthorizationServerConfig } from './config.ts';
import { isClientIdUrl, type ClientMetadataDocuments } from './client-metadata-document.ts';
import type { TokenEndpointAuthMethod } from './client-rules.ts';
import { OAuthError } from './errors.ts';
import { sameText } from './same-text.ts';
import type { GrantType, Store } from './store.ts';

export type Capability = 'authorization_code' | 'introspection' | 'token_exchange';

export interface AuthenticatedClient {
  id: string;
  capabilities: ReadonlySet<Capability>;
}

/** A client as the authorization endpoint sees it. */
export interface AuthorizingClient {
  id: string;
  name: string;
  redirectUris: string[];
  scope: string;
  grantTypes: GrantType[];
}

function secretMatches(presented: string, expectedHash: string): boolean {
  return sameText(tokenHash(presented), expectedHash);
}

const AGENT: ReadonlySet<Capability> = new Set(['authorization_code']);

export class Clients {
  readonly #confidential: Map<string, { hash: string; capabilities: ReadonlySet<Capability> }>;

  constructor(
    config: AuthorizationServerConfig,
    private readonly store: Store,
    private readonly documents: ClientMetadataDocuments,
    private readonly now: () => number,
  ) {
    this.#confidential = new Map([
      [config.clients.gateway.id, { hash: tokenHash(config.clients.gateway.secret), capabilities: new Set<Capability>(['introspection']) }],
      [
        config.clients.mcpServer.id,
        { hash: tokenHash(config.clients.mcpServer.secret), capabilities: new Set<Capability>(['token_exchange']) },
      ],
    ]);
  }

  /**
   * The client of an authorization request from the address `source`; throws ClientMetadataError
   * for a bad document, undefined when unknown.
   */
  async forAuthorization(clientId: string, source: string): Promise<AuthorizingClient | undefined> {
    if (isClientIdUrl(clientId)) {
      const doc = await this.documents.resolve(clientId, source);
      const { redirectUris, scope, grantTypes } = doc;
      return { id: clientId, name: doc.clientName ?? new URL(clientId).host, redirectUris, scope, grantTypes };
    }
    const registered = await this.store.clients.get(clientId, this.now());
    if (!registered) return undefined;
    const { redirectUris, scope, grantTypes } = registered;
    return { id: clientId, name: registered.clientName ?? clientId, redirectUris, scope, grantTypes };
  }

  /**
   * Authenticates the client of a token, introspection or revocation request, with the method it
   * is registered for and no other (RFC 7591 §2): a secret meant for Basic is refused in the body.
   * The deployment's own clients are registered for `client_secret_basic`.
   */
  async authenticate(authorization: string | undefined, form: Record<string, string>): Promise<AuthenticatedClient> {
    let clientId = form.client_id;
    let secret = form.client_secret;
    const basic = parseBasicAuthorization(authorization);
    // RFC 6749 §5.2: a client that tried Basic gets a Basic challenge with its 401; so does one whose
    // registered method is Basic, to say which scheme it must use.
    const invalidClient = (why: string, challenge = basic !== undefined) =>
      new OAuthError('invalid_client', why, 401, challenge ? { 'WWW-Authenticate': 'Basic realm="oauth"' } : {});
    if (basic === null) throw invalidClient('Malformed Basic credentials');
    if (authorization && !basic) throw invalidClient('Client authentication must use HTTP Basic or the request body');
    if (basic) {
      if (secret !== undefined)
        throw new OAuthError('invalid_request', 'Use one client authentication method, not both Basic and client_secret');
      if (clientId !== undefined && clientId !== basic.clientId)
        throw new OAuthError('invalid_request', 'client_id differs from the authenticated client');
      clientId = basic.clientId;
      secret = basic.clientSecret;
    }
    if (!clientId) throw invalidClient('Client authentication is required');
    const used: TokenEndpointAuthMethod = basic ? 'client_secret_basic' : secret !== undefined ? 'client_secret_post' : 'none';
    const expect = (registered: TokenEndpointAuthMethod) => {
      if (used === registered) return;
      const how =
        registered === 'none'
          ? 'This client is public and has no secret: send only its client_id'
          : `This client is registered to authenticate with ${registered}${
              registered === 'client_secret_basic' ? ' (HTTP Basic)' : ' (client_secret in the body)'
            }; use that method`;
      throw invalidClient(how, basic !== undefined || registered === 'client_secret_basic');
    };

    const confidential = this.#confidential.get(clientId);
    if (confidential) {
      expect('client_secret_basic');
      if (!secretMatches(secret!, confidential.hash)) throw invalidClient('Client authentication failed');
      return { id: clientId, capabilities: confidential.capabilities };
    }
    if (isClientIdUrl(clientId)) {
      // Metadata-document clients are public: their document carries no secret.
      expect('none');
      return { id: clientId, capabilities: AGENT };
    }
    const registered = await this.store.clients.get(clientId, this.now());
    if (!registered) throw invalidClient('Unknown client; register again');
    expect(registered.tokenEndpointAuthMethod);
    if (
      registered.tokenEndpointAuthMethod !== 'none' &&
      (registered.secretHash === undefined || !secretMatches(secret!, registered.secretHash))
    )
      throw invalidClient('Client authentication failed');
    return { id: clientId, capabilities: AGENT };
  }
}
