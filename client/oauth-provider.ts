/**
 * The client's side of OAuth, as the MCP SDK's `OAuthClientProvider`: the SDK's `auth()` does
 * discovery, registration (Client ID Metadata Document, else Dynamic Client Registration),
 * PKCE, `resource` and the token request; this class keeps what it hands over (in memory only),
 * takes the user to the authorization URL, and reports each step without ever showing a token.
 */
import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { checkAuthorizationUrl, type Authorizer } from './authorize.ts';
import type { CallbackServer } from './callback-server.ts';
import type { Progress } from './progress.ts';

export interface PreRegisteredClient {
  clientId: string;
  clientSecret?: string;
}

export interface ConsoleOAuthProviderOptions {
  callback: CallbackServer;
  authorize: Authorizer;
  progress: Progress;
  clientName?: string;
  /** An https URL whose document describes this client (CIMD); used when the server supports it. */
  clientMetadataUrl?: string;
  preRegistered?: PreRegisteredClient;
  /** How long to wait for one sign-in to come back. */
  authorizationTimeoutMs?: number;
  /** Clock, for tests of token expiry. */
  now?: () => number;
}

/** The server keeps asking for a sign-in; `code` is machine-readable. */
export class TooManySignInsError extends Error {
  override name = 'TooManySignInsError';
  readonly code = 'too_many_sign_ins';
  constructor(limit: number) {
    super(
      `Gave up after ${limit} sign-ins for one request: the server keeps refusing the access token. ` +
        'Check that your account may use the scope the server asks for.',
    );
  }
}

export class ConsoleOAuthProvider implements OAuthClientProvider {
  private client?: OAuthClientInformationMixed;
  private stored?: { tokens: OAuthTokens; expiresAt?: number };
  private verifier?: string;
  private discovery?: OAuthDiscoveryState;
  private pendingCode?: Promise<string>;
  private signIns = { started: 0, limit: Infinity };
  private readonly now: () => number;

  constructor(private readonly options: ConsoleOAuthProviderOptions) {
    this.now = options.now ?? Date.now;
    if (options.preRegistered) {
      const { clientId, clientSecret } = options.preRegistered;
      this.client = clientSecret === undefined ? { client_id: clientId } : { client_id: clientId, client_secret: clientSecret };
    }
  }

  get redirectUrl(): string {
    return this.options.callback.redirectUrl;
  }

  get clientMetadataUrl(): string | undefined {
    return this.options.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.options.clientName ?? 'MCP console client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    return randomBytes(32).toString('base64url');
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.client;
  }

  saveClientInformation(information: OAuthClientInformationMixed): void {
    const isNew = information.client_id !== this.client?.client_id;
    this.client = information;
    if (!isNew) return;
    if (information.client_id === this.options.clientMetadataUrl) {
      this.options.progress(`Client: identified by its metadata document ${information.client_id}`);
    } else {
      this.options.progress(`Client: registered dynamically as ${information.client_id}`);
    }
  }

  tokens(): OAuthTokens | undefined {
    if (!this.stored) return undefined;
    if (this.stored.expiresAt !== undefined && this.now() >= this.stored.expiresAt) {
      this.stored = undefined;
      this.options.progress('The access token has expired; signing in again.');
      return undefined;
    }
    return this.stored.tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    const expiresAt = tokens.expires_in === undefined ? undefined : this.now() + tokens.expires_in * 1000;
    this.stored = { tokens, expiresAt };
    const details = [
      tokens.scope ? `scope "${tokens.scope}"` : 'no scope named',
      tokens.expires_in === undefined ? undefined : `expires in ${tokens.expires_in} s`,
      tokens.refresh_token ? 'with a refresh token' : undefined,
    ].filter(Boolean);
    this.options.progress(`Signed in: access token received (${details.join(', ')}).`);
  }

  /** Allows `limit` sign-ins from now on (per request: the first one, then step-ups or re-sign-ins). */
  limitSignIns(limit: number): void {
    this.signIns = { started: 0, limit };
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    checkAuthorizationUrl(authorizationUrl);
    if (++this.signIns.started > this.signIns.limit) throw new TooManySignInsError(this.signIns.limit);
    const state = authorizationUrl.searchParams.get('state');
    if (!state) throw new Error('The authorization request has no state parameter.');
    const metadata = this.discovery?.authorizationServerMetadata as Record<string, unknown> | undefined;
    const code = this.options.callback.expect({
      state,
      issuer: typeof metadata?.issuer === 'string' ? metadata.issuer : undefined,
      issuerRequired: metadata?.authorization_response_iss_parameter_supported === true,
      timeoutMs: this.options.authorizationTimeoutMs ?? 300_000,
    });
    // Awaited later by `waitForAuthorizationCode`; until then a refusal must not go unhandled.
    code.catch(() => {});
    this.pendingCode = code;
    const scope = authorizationUrl.searchParams.get('scope');
    this.options.progress(`Sign in${scope ? ` (scope "${scope}")` : ''} at:\n  ${authorizationUrl.href}`);
    await this.options.authorize(authorizationUrl);
  }

  /** The authorization code of the sign-in started by the last `redirectToAuthorization`. */
  async waitForAuthorizationCode(): Promise<string> {
    const code = this.pendingCode;
    if (!code) throw new Error('No sign-in was started.');
    this.pendingCode = undefined;
    const value = await code;
    this.options.progress('Authorization code received; requesting the access token…');
    return value;
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.verifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new Error('No PKCE code verifier: no sign-in is in progress.');
    return this.verifier;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    const changed = state.authorizationServerUrl !== this.discovery?.authorizationServerUrl;
    this.discovery = state;
    if (!changed) return;
    const resource = state.resourceMetadata?.resource;
    this.options.progress(
      resource
        ? `Discovered: resource ${resource} is protected by authorization server ${state.authorizationServerUrl}`
        : `Discovered: no protected-resource metadata; using authorization server ${state.authorizationServerUrl}`,
    );
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'tokens') this.stored = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
    // Pre-registered credentials cannot be re-created by registering; keep them so the error stays clear.
    if ((scope === 'all' || scope === 'client') && !this.options.preRegistered) this.client = undefined;
  }
}
