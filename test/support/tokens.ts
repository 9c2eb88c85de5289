/**
 * Tokens for tests and the benchmark, obtained the way a client does: Dynamic Client Registration,
 * authorization code with PKCE (S256) and `resource`, the browser part played by the headless
 * sign-in. Faster than a full MCP client when many users' tokens are needed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { signIn, type SignInResult } from '../../infra/local/headless-sign-in.ts';
import type { Model } from '../../infra/model.ts';
import { OFFLINE_ACCESS } from '@mcp-secured-api/contracts';

export interface ObtainedToken {
  /** The opaque access token the client receives. */
  accessToken: string;
  expiresIn: number;
  scope: string;
  clientId: string;
  /** Only when asked for with `offlineAccess` (and approved on the consent page). */
  refreshToken?: string;
}

/**
 * Runs the authorization code flow by hand (dynamic registration, PKCE, `resource`) and returns
 * the opaque access token: for tests and the benchmark that need many users' tokens quickly.
 */
export async function obtainToken(
  model: Model,
  options: {
    email: string;
    mail: string;
    decision?: 'approve' | 'deny';
    clientId?: string;
    redirectUri?: string;
    /** Register for the refresh_token grant and ask for offline_access. */
    offlineAccess?: boolean;
  },
): Promise<ObtainedToken> {
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:8090/callback';
  const clientId = options.clientId ?? (await registerPublicClient(model, redirectUri, { refreshTokens: options.offlineAccess }));
  const scope = options.offlineAccess ? `${model.scope} ${OFFLINE_ACCESS}` : model.scope;
  const { url: authorize, verifier, state } = authorizationRequest(model, { clientId, redirectUri, scope });
  const result: SignInResult = await signIn({
    authorizeUrl: authorize,
    email: options.email,
    mailApi: options.mail,
    decision: options.decision,
  });
  if (result.error || !result.code) throw new Error(`Authorization failed: ${result.error ?? 'no code'}`);
  if (result.state !== state) throw new Error('Authorization response carried another state');
  if (result.iss !== model.issuer) throw new Error(`Authorization response from another issuer: ${result.iss}`);
  return tokenRequest(model, clientId, {
    grant_type: 'authorization_code',
    code: result.code,
    redirect_uri: redirectUri,
    client_id: clientId,
    code_verifier: verifier,
    resource: model.mcpResource,
  });
}

/** Uses a refresh token (the refresh_token grant of a public client). */
export function refreshToken(model: Model, token: Pick<ObtainedToken, 'clientId' | 'refreshToken'>): Promise<ObtainedToken> {
  if (!token.refreshToken) throw new Error('refreshToken: this token came without a refresh token');
  return tokenRequest(model, token.clientId, { grant_type: 'refresh_token', refresh_token: token.refreshToken, client_id: token.clientId });
}

async function tokenRequest(model: Model, clientId: string, form: Record<string, string>): Promise<ObtainedToken> {
  const response = await fetch(model.endpoints.token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) {
    throw new TokenRequestError(
      response.status,
      String(body.error),
      `Token request failed (${response.status}): ${String(body.error)} ${String(body.error_description ?? '')}`,
    );
  }
  return {
    accessToken: String(body.access_token),
    expiresIn: Number(body.expires_in),
    scope: String(body.scope),
    clientId,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
  };
}

export class TokenRequestError extends Error {
  override name = 'TokenRequestError';
  /** `ERR_OAUTH_` and the `error` in capitals, as the authorization server's own `OAuthError`. */
  readonly code: string;
  constructor(
    readonly status: number,
    /** The OAuth `error`, e.g. invalid_grant. */
    readonly error: string,
    message: string,
  ) {
    super(message);
    this.code = `ERR_OAUTH_${error.toUpperCase()}`;
  }
}

/** An authorization request for the MCP resource with PKCE (S256) and a fresh state. */
export function authorizationRequest(
  model: Model,
  options: { clientId: string; redirectUri: string; scope?: string },
): { url: string; verifier: string; state: string } {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL(model.endpoints.authorize);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    scope: options.scope ?? model.scope,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource: model.mcpResource,
  }).toString();
  return { url: url.href, verifier, state };
}

export async function registerPublicClient(model: Model, redirectUri: string, options: { refreshTokens?: boolean } = {}): Promise<string> {
  const response = await fetch(model.endpoints.registration, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Headless test agent',
      redirect_uris: [redirectUri],
      grant_types: options.refreshTokens ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: model.scope,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201) throw new Error(`Registration failed (${response.status}): ${JSON.stringify(body)}`);
  return String(body.client_id);
}
