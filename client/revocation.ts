/**
 * Signing out ends the grant at the authorization server too (RFC 7009), so a copy of the token
 * store that leaked earlier is worth nothing: the refresh token is revoked (servers revoke the
 * access tokens issued with it too), or the access token when there is no refresh token.
 */
import { assertSecureTokenEndpoint, discoverOAuthServerInfo } from '@modelcontextprotocol/client';
import type { StoredSession } from './token-store.ts';

const REVOCATION_TIMEOUT_MS = 10_000;

/** What became of the grant: revoked, or why not. */
export type RevocationOutcome = { revoked: 'refresh token' | 'access token' } | { notRevoked: string };

export async function revokeGrant(serverUrl: URL, session: StoredSession): Promise<RevocationOutcome> {
  const { tokens, client } = session;
  const token = tokens?.refresh_token ?? tokens?.access_token;
  if (!tokens || !token || !client) return { notRevoked: 'nothing to revoke' };
  try {
    const { authorizationServerMetadata: metadata } = await discoverOAuthServerInfo(serverUrl);
    // RFC 8414 metadata names it; OpenID provider metadata may carry it too.
    const endpoint = (metadata as { revocation_endpoint?: unknown } | undefined)?.revocation_endpoint;
    if (typeof endpoint !== 'string' || !metadata) return { notRevoked: 'the authorization server offers no revocation endpoint' };
    // Tokens go back only to the server that issued them.
    if (tokens.issuer !== undefined && tokens.issuer !== metadata.issuer) {
      return { notRevoked: `the server is now protected by ${metadata.issuer}, not by ${tokens.issuer} that issued the tokens` };
    }
    // As for the token endpoint: TLS, or loopback.
    assertSecureTokenEndpoint(endpoint);
    const body = new URLSearchParams({ token, token_type_hint: tokens.refresh_token ? 'refresh_token' : 'access_token' });
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (client.client_secret) {
      const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
      headers.Authorization = `Basic ${Buffer.from(`${encode(client.client_id)}:${encode(client.client_secret)}`).toString('base64')}`;
    } else {
      body.set('client_id', client.client_id);
    }
    const response = await fetch(endpoint, {
      method: 'POST',
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(REVOCATION_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) return { notRevoked: `the revocation endpoint answered HTTP ${response.status}` };
    return { revoked: tokens.refresh_token ? 'refresh token' : 'access token' };
  } catch (err) {
    return { notRevoked: (err as Error).message };
  }
}
