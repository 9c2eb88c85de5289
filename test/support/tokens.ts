/**
 * Tokens for tests and the benchmark, obtained the way a client does: Dynamic Client Registration,
 * authorization code with PKCE (S256) and `resource`, the browser part played by the headless
 * sign-in. Faster than a full MCP client when many users' tokens are needed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { signIn, type SignInResult } from '../../infra/local/headless-sign-in.ts';
import type { Model } from '../../infra/model.ts';

export interface ObtainedToken {
  /** The opaque access token the client receives. */
  accessToken: string;
  expiresIn: number;
  scope: string;
  clientId: string;
  /** Agents should never get one; kept so tests can check. */
  refreshToken?: string;
}

/**
 * Runs the authorization code flow by hand (dynamic registration, PKCE, `resource`) and returns
 * the opaque access token: for tests and the benchmark that need many users' tokens quickly.
 */
export async function obtainToken(
  model: Model,
  options: { email: string; mail: string; decision?: 'approve' | 'deny'; clientId?: string; redirectUri?: string },
): Promise<ObtainedToken> {
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:8090/callback';
  const clientId = options.clientId ?? (await registerPublicClient(model, redirectUri));
  const { url: authorize, verifier, state } = authorizationRequest(model, { clientId, redirectUri });
  const result: SignInResult = await signIn({
    authorizeUrl: authorize,
    email: options.email,
    mailApi: options.mail,
    decision: options.decision,
  });
  if (result.error || !result.code) throw new Error(`Authorization failed: ${result.error ?? 'no code'}`);
  if (result.state !== state) throw new Error('Authorization response carried another state');
  if (result.iss !== model.issuer) throw new Error(`Authorization response from another issuer: ${result.iss}`);
  const response = await fetch(model.endpoints.token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: result.code,
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: verifier,
      resource: model.mcpResource,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok)
    throw new Error(`Token request failed (${response.status}): ${String(body.error)} ${String(body.error_description ?? '')}`);
  return {
    accessToken: String(body.access_token),
    expiresIn: Number(body.expires_in),
    scope: String(body.scope),
    clientId,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
  };
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

export async function registerPublicClient(model: Model, redirectUri: string): Promise<string> {
  const response = await fetch(model.endpoints.registration, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Headless test agent',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
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
