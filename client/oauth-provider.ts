/**
 * The client's side of OAuth, as the MCP SDK's `OAuthClientProvider`. The SDK's `auth()` does
 * what MCP 2026-07-28 asks of a client: discovery, the issuer check of the metadata, registration
 * (Client ID Metadata Document, else Dynamic Client Registration with `application_type`),
 * credentials bound to the issuer that made them, PKCE, `resource`, `offline_access`, the `iss`
 * check of the response, refresh, and the scope union of a step-up. This class keeps what it
 * hands over (in a token store: memory unless a file is given), takes the user to the
 * authorization URL, and reports each step without ever showing a token.
 */
import { randomBytes } from 'node:crypto';
import {
  IssuerMismatchError,
  validateAuthorizationResponseIssuer,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type AuthorizationServerMetadata,
  type OAuthDiscoveryState,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { checkAuthorizationUrl, type Authorizer } from './authorize.ts';
import type { CallbackServer } from './callback-server.ts';
import type { Progress } from './progress.ts';
import { memoryTokenStore, type StoredSession, type TokenStore } from './token-store.ts';

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
  /** Where the registration and tokens are kept; default: memory. */
  store?: TokenStore;
  /** How long to wait for one sign-in to come back. */
  authorizationTimeoutMs?: number;
  /** Clock, for tests of token expiry. */
  now?: () => number;
}

/** The server keeps asking for a sign-in; `code` is machine-readable. */
export class TooManySignInsError extends Error {
  override name = 'TooManySignInsError';
  readonly code = 'ERR_TOO_MANY_SIGN_INS';
  constructor(limit: number) {
    super(
      `Gave up after ${limit} sign-ins for one request: the server keeps refusing the access token. ` +
        'Check that your account may use the scope the server asks for.',
    );
  }
}

/** Refresh this long before the access token expires (at most a fifth of its lifetime). */
const REFRESH_MARGIN_MS = 60_000;

export class ConsoleOAuthProvider implements OAuthClientProvider {
  private session: StoredSession = {};
  private loaded = false;
  private verifier?: string;
  private discovery?: OAuthDiscoveryState;
  private announcedServer?: string;
  private preRegisteredIssuer?: string;
  private pendingResponse?: Promise<URLSearchParams>;
  /** A sign-in was started and its tokens have not arrived yet (else new tokens come from a refresh). */
  private signingIn = false;
  private signIns = { started: 0, limit: Infinity };
  private readonly store: TokenStore;
  private readonly now: () => number;

  constructor(private readonly options: ConsoleOAuthProviderOptions) {
    this.now = options.now ?? Date.now;
    this.store = options.store ?? memoryTokenStore();
  }

  /** Reads what an earlier run kept (a no-op for the memory store). Call once before connecting. */
  async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    const stored = await this.store.load();
    if (!stored) return;
    this.session = stored;
    if (stored.tokens) this.options.progress(`Using the tokens kept in ${this.store.description}.`);
    // A registration for another redirect URI (another callback port) cannot complete a sign-in
    // here, and its refresh token is bound to it: register again when needed, and keep only the
    // access token, which the server accepts until it expires.
    const registered = redirectUris(stored.client);
    if (registered && !registered.includes(this.redirectUrl)) {
      this.options.progress(
        `The kept registration is for ${registered.join(', ')}, not ${this.redirectUrl}; it will register again when a sign-in is needed.`,
      );
      const tokens = stored.tokens && { ...stored.tokens, refresh_token: undefined };
      this.session = { ...stored, client: undefined, tokens };
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
      // Registration asks for the refresh-token grant (SEP-2207; a server without it grants less).
      // The SDK adds `offline_access` to the requested scope when the server lists it and this
      // names the grant, so once discovery shows a server without the grant, it is left out.
      grant_types: this.refreshGrantRefused() ? ['authorization_code'] : ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      // A console program with a loopback redirect URI is a native application (SEP-837, RFC 8252).
      application_type: 'native',
    };
  }

  state(): string {
    return randomBytes(32).toString('base64url');
  }

  clientInformation(): StoredOAuthClientInformation | undefined {
    if (this.options.preRegistered) {
      const { clientId, clientSecret } = this.options.preRegistered;
      const issuer = this.preRegisteredIssuer;
      return { client_id: clientId, ...(clientSecret === undefined ? {} : { client_secret: clientSecret }), ...(issuer && { issuer }) };
    }
    return this.session.client;
  }

  async saveClientInformation(information: StoredOAuthClientInformation): Promise<void> {
    // Pre-registered credentials come from the command line; the SDK binds them to the issuer it
    // first used them with (SEP-2352), so that they are never presented to another one.
    if (this.options.preRegistered) {
      this.preRegisteredIssuer = information.issuer;
      return;
    }
    const isNew = information.client_id !== this.session.client?.client_id;
    await this.keep({ ...this.session, client: information });
    if (!isNew) return;
    this.options.progress(
      information.client_id === this.options.clientMetadataUrl
        ? `Client: identified by its metadata document ${information.client_id}`
        : `Client: registered dynamically as ${information.client_id}`,
    );
  }

  tokens(): StoredOAuthTokens | undefined {
    const { tokens, expiresAt } = this.session;
    if (!tokens) return undefined;
    // An expired access token is still worth keeping while a refresh token can renew it.
    if (expiresAt !== undefined && this.now() >= expiresAt && !tokens.refresh_token) {
      this.session = { ...this.session, tokens: undefined, expiresAt: undefined };
      this.options.progress('The access token has expired; signing in again.');
      return undefined;
    }
    return tokens;
  }

  async saveTokens(tokens: StoredOAuthTokens): Promise<void> {
    const refreshed = !this.signingIn;
    this.signingIn = false;
    const expiresAt = tokens.expires_in === undefined ? undefined : this.now() + tokens.expires_in * 1000;
    await this.keep({ ...this.session, tokens, expiresAt });
    const details = [
      tokens.scope ? `scope "${tokens.scope}"` : 'no scope named',
      tokens.expires_in === undefined ? undefined : `expires in ${tokens.expires_in} s`,
      tokens.refresh_token ? 'with a refresh token' : undefined,
    ].filter(Boolean);
    this.options.progress(`${refreshed ? 'Access token refreshed' : 'Signed in: access token received'} (${details.join(', ')}).`);
  }

  /** Whether the access token should be refreshed now: it expires soon and a refresh token can renew it. */
  shouldRefresh(): boolean {
    const { tokens, expiresAt } = this.session;
    if (!tokens?.refresh_token || expiresAt === undefined || tokens.expires_in === undefined) return false;
    const margin = Math.min(REFRESH_MARGIN_MS, (tokens.expires_in * 1000) / 5);
    return this.now() >= expiresAt - margin;
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
    const metadata = this.discovery?.authorizationServerMetadata;
    const response = this.options.callback.expect({
      state,
      // The SDK checks `iss` again before redeeming the code; checking here too tells the browser.
      check: (params) => checkIssuer(params.get('iss') ?? undefined, metadata),
      timeoutMs: this.options.authorizationTimeoutMs ?? 300_000,
    });
    // Awaited later by `waitForAuthorizationResponse`; until then a refusal must not go unhandled.
    let refusal: unknown;
    response.catch((reason: unknown) => void (refusal = reason));
    this.pendingResponse = response;
    this.signingIn = true;
    const scope = authorizationUrl.searchParams.get('scope');
    this.options.progress(`Sign in${scope ? ` (scope "${scope}")` : ''} at:\n  ${authorizationUrl.href}`);
    try {
      await this.options.authorize(authorizationUrl);
    } catch (err) {
      // When the callback refused the response, its reason (an `iss` from elsewhere, a denial) says more.
      throw refusal ?? err;
    }
  }

  /** The authorization response (`code`, `iss`, …) of the sign-in started by the last `redirectToAuthorization`. */
  async waitForAuthorizationResponse(): Promise<URLSearchParams> {
    const response = this.pendingResponse;
    if (!response) throw new Error('No sign-in was started.');
    try {
      const params = await response;
      this.options.progress('Authorization code received; requesting the access token…');
      return params;
    } finally {
      this.pendingResponse = undefined;
    }
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.verifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new Error('No PKCE code verifier: no sign-in is in progress.');
    return this.verifier;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
    // Discovery is repeated after a refused token; say so only when the authorization server changed.
    if (state.authorizationServerUrl === this.announcedServer) return;
    this.announcedServer = state.authorizationServerUrl;
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

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
    if ((scope === 'all' || scope === 'tokens') && this.session.tokens) {
      if (this.session.tokens.refresh_token) this.options.progress('The refresh token was not accepted; signing in again.');
      await this.keep({ ...this.session, tokens: undefined, expiresAt: undefined });
    }
    if ((scope === 'all' || scope === 'client') && this.session.client) await this.keep({ ...this.session, client: undefined });
  }

  /** The authorization server's metadata is known and does not offer the refresh-token grant. */
  private refreshGrantRefused(): boolean {
    const metadata = this.discovery?.authorizationServerMetadata;
    return metadata !== undefined && !metadata.grant_types_supported?.includes('refresh_token');
  }

  private async keep(session: StoredSession): Promise<void> {
    this.session = session;
    await this.store.save(session);
  }
}

/** RFC 9207 by the SDK's rule (simple string comparison; required when the server promises it), in the user's words. */
function checkIssuer(iss: string | undefined, metadata: AuthorizationServerMetadata | undefined): void {
  try {
    validateAuthorizationResponseIssuer({
      iss,
      expectedIssuer: metadata?.issuer,
      issParameterSupported: metadata?.authorization_response_iss_parameter_supported === true,
    });
  } catch (err) {
    if (!(err instanceof IssuerMismatchError)) throw err;
    // What a mixed-up response names is the attacker's to choose, so it is not shown.
    throw new Error(
      iss === undefined
        ? 'The authorization server promised an "iss" parameter in its response (RFC 9207) but sent none.'
        : `The response names another issuer than ${metadata?.issuer ?? 'the authorization server'}, where the sign-in started: possible mix-up attack.`,
      { cause: err },
    );
  }
}

/** The redirect URIs a stored registration was made for (none for a metadata-document or pre-registered client). */
export function redirectUris(client: StoredOAuthClientInformation | undefined): string[] | undefined {
  const uris = (client as { redirect_uris?: unknown } | undefined)?.redirect_uris;
  return Array.isArray(uris) && uris.every((uri) => typeof uri === 'string') ? uris : undefined;
}
