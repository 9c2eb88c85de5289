/**
 * The token endpoint: authorization code (single use, bound to client, redirect URI, PKCE
 * verifier and resource; a second redemption revokes what the first issued), refresh tokens
 * (when enabled; rotated, reuse revokes the grant) and RFC 8693 token exchange for the MCP
 * server's client only. Answers carry `Cache-Control: no-store`; errors follow RFC 6749 §5.2.
 */
import { Hono, type Context } from 'hono';
import type { AuthenticatedClient } from './clients.ts';
import type { ServerContext } from './context.ts';
import { OAuthError } from './errors.ts';
import { readForm } from './form.ts';
import { AS_PATHS, GRANT_TYPE, TOKEN_TYPE, tokenHash } from '@mcp-secured-api/contracts';
import { verifierMatches } from './pkce.ts';
import type { IssuedToken } from './tokens.ts';

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export function tokenRoutes(ctx: ServerContext): Hono {
  const { config, clients, store, tokens, now } = ctx;
  const refreshTokens = config.refreshTokenTtlSeconds > 0;
  const app = new Hono();
  const grantTypes = [GRANT_TYPE.authorizationCode, ...(refreshTokens ? [GRANT_TYPE.refreshToken] : []), GRANT_TYPE.tokenExchange];

  const tokenResponse = (c: Context, issued: IssuedToken) =>
    c.json(
      {
        access_token: issued.accessToken,
        token_type: 'bearer',
        expires_in: issued.expiresIn,
        scope: issued.scope,
        ...(issued.refreshToken && { refresh_token: issued.refreshToken }),
      },
      200,
      NO_STORE,
    );

  async function authorizationCode(c: Context, client: AuthenticatedClient, form: Record<string, string>) {
    if (!client.capabilities.has('authorization_code'))
      throw new OAuthError('unauthorized_client', 'This client may not use the authorization code grant');
    if (!form.code) throw new OAuthError('invalid_request', 'The code parameter is missing');
    if (!form.redirect_uri) throw new OAuthError('invalid_request', 'The redirect_uri parameter is missing');
    if (!form.code_verifier) throw new OAuthError('invalid_request', 'PKCE is required: the code_verifier parameter is missing');

    const codeHash = tokenHash(form.code);
    const code = await store.codes.get(codeHash);
    if (!code) throw new OAuthError('invalid_grant', 'The code is invalid, expired or already used');
    if (code.grantId) {
      // A replayed code means it leaked: revoke what its first redemption issued (RFC 9700 §4.2).
      await store.grants.revoke(code.grantId);
      throw new OAuthError('invalid_grant', 'The code is invalid, expired or already used');
    }
    const { consent } = code;
    if (code.usableUntil <= now()) throw new OAuthError('invalid_grant', 'The code has expired');
    if (consent.clientId !== client.id) throw new OAuthError('invalid_grant', 'The code was issued to another client');
    if (consent.redirectUri !== form.redirect_uri)
      throw new OAuthError('invalid_grant', 'The redirect_uri differs from the one of the authorization request');
    if (!verifierMatches(form.code_verifier, consent.codeChallenge))
      throw new OAuthError('invalid_grant', 'The code_verifier does not match the code_challenge');
    if (form.resource !== undefined && form.resource !== consent.resource && `${form.resource}/` !== consent.resource) {
      throw new OAuthError('invalid_target', 'The resource differs from the one the code was issued for');
    }
    return tokenResponse(c, await tokens.redeem(codeHash, consent));
  }

  async function refreshToken(c: Context, client: AuthenticatedClient, form: Record<string, string>) {
    if (!client.capabilities.has('authorization_code'))
      throw new OAuthError('unauthorized_client', 'This client may not use the refresh token grant');
    if (!form.refresh_token) throw new OAuthError('invalid_request', 'The refresh_token parameter is missing');
    return tokenResponse(c, await tokens.refresh(client, form.refresh_token, { scope: form.scope, resource: form.resource }));
  }

  async function tokenExchange(c: Context, client: AuthenticatedClient, form: Record<string, string>) {
    if (!client.capabilities.has('token_exchange')) throw new OAuthError('unauthorized_client', 'This client may not exchange tokens');
    if (!form.subject_token) throw new OAuthError('invalid_request', 'The subject_token parameter is missing');
    if (form.subject_token_type !== TOKEN_TYPE.accessToken && form.subject_token_type !== TOKEN_TYPE.jwt) {
      throw new OAuthError('invalid_request', `subject_token_type must be ${TOKEN_TYPE.accessToken}`);
    }
    if (
      form.requested_token_type !== undefined &&
      form.requested_token_type !== TOKEN_TYPE.accessToken &&
      form.requested_token_type !== TOKEN_TYPE.jwt
    ) {
      throw new OAuthError('invalid_request', `requested_token_type must be ${TOKEN_TYPE.accessToken}`);
    }
    if (form.actor_token !== undefined)
      throw new OAuthError('invalid_request', 'actor_token is not supported; the authenticated client is the actor');
    if (form.audience !== undefined && form.resource !== undefined && form.audience !== form.resource) {
      throw new OAuthError('invalid_target', 'audience and resource name different targets');
    }
    const issued = await tokens.exchange(form.subject_token, { scope: form.scope, audience: form.audience ?? form.resource });
    return c.json(
      {
        access_token: issued.accessToken,
        issued_token_type: TOKEN_TYPE.accessToken,
        token_type: 'Bearer',
        expires_in: issued.expiresIn,
        scope: issued.scope,
      },
      200,
      NO_STORE,
    );
  }

  app.post(AS_PATHS.token, async (c) => {
    const form = await readForm(c);
    const client = await clients.authenticate(c.req.header('authorization'), form);
    switch (form.grant_type) {
      case GRANT_TYPE.authorizationCode:
        return authorizationCode(c, client, form);
      case GRANT_TYPE.tokenExchange:
        return tokenExchange(c, client, form);
      case GRANT_TYPE.refreshToken:
        if (!refreshTokens) throw new OAuthError('unsupported_grant_type', `Supported grant types: ${grantTypes.join(', ')}`);
        return refreshToken(c, client, form);
      case undefined:
        throw new OAuthError('invalid_request', 'The grant_type parameter is missing');
      default:
        throw new OAuthError('unsupported_grant_type', `Supported grant types: ${grantTypes.join(', ')}`);
    }
  });

  return app;
}
