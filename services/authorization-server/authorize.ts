/**
 * The authorization endpoint: authorization code with PKCE (S256 only), `state` and `iss` in
 * every response, the `resource` (RFC 8707) bound to the code. Until the client and its redirect
 * URI are verified, errors are shown as a page, never redirected (no open redirect).
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { ClientMetadataError } from './client-metadata-document.ts';
import type { ServerContext } from './context.ts';
import { PageError } from './errors.ts';
import { singleValued } from './form.ts';
import { AS_PATHS, GRANT_TYPE, OFFLINE_ACCESS } from '@mcp-secured-api/contracts';
import { PAGES } from './paths.ts';
import { isValidS256Challenge } from './pkce.ts';
import { clientAddress, pageRateLimit } from './rate-limit.ts';
import { redirectUriMatches } from './redirect-uri.ts';
import type { SignInTransaction } from './store.ts';
import { setTransactionCookie } from './transaction-cookie.ts';

/** How long a user has to sign in and consent. */
export const TRANSACTION_TTL_SECONDS = 600;

/** The client's redirect URI with the response parameters, `iss` always included (RFC 9207). */
export function clientRedirect(redirectUri: string, issuer: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  url.searchParams.set('iss', issuer);
  return url.href;
}

/** A malformed authorization request: a link no application should have sent. */
function invalidLink(detail: string): PageError {
  return new PageError(
    'invalid_request',
    'The application sent an incomplete or malformed sign-in request. Start again from the application; if it happens again, tell its developers.',
    400,
    { title: 'This sign-in link is not valid', detail },
  );
}

/** Whether `resource` names the MCP server (with or without its trailing slash). */
function isMcpResource(resource: string, mcpResource: string): boolean {
  return resource === mcpResource || `${resource}/` === mcpResource;
}

export function authorizeRoutes(ctx: ServerContext): Hono {
  const { config, clients, store, now } = ctx;
  const app = new Hono();

  // Every authorization request stores a sign-in: without a limit, one address could fill the
  // database with them.
  const limitAuthorizations = pageRateLimit({
    perMinute: ctx.limits.authorizationsPerMinute,
    what: 'sign-ins started',
    trustProxy: config.trustProxy,
    count: ctx.countRequests('authorizations'),
    now,
  });

  app.get(AS_PATHS.authorize, limitAuthorizations, async (c) => {
    const { values: q, repeated } = singleValued(new URL(c.req.url).searchParams);
    if (repeated) throw invalidLink(`the authorization request repeats the parameter ${repeated}`);
    if (!q.client_id) throw invalidLink('the authorization request has no client_id');
    let client;
    try {
      client = await clients.forAuthorization(q.client_id, clientAddress(c, config.trustProxy));
    } catch (error) {
      if (error instanceof ClientMetadataError)
        throw new PageError(
          'invalid_client',
          'The application identifies itself by a web address, but the description published there cannot be used, so we cannot tell who it is. Try again later, or tell its developers.',
          400,
          { title: 'We cannot verify this application', detail: `its client metadata document: ${error.message}` },
        );
      throw error;
    }
    if (!client)
      throw new PageError(
        'invalid_client',
        'The application is not registered here, or its registration has expired. Start again from the application: it can register again.',
        400,
        { title: 'This application is not known here', detail: `unknown client_id ${q.client_id}` },
      );
    if (!q.redirect_uri || !redirectUriMatches(q.redirect_uri, client.redirectUris)) {
      throw new PageError(
        'invalid_request',
        'The application asked to send you back to an address it has not registered, so we stopped here to protect you. Start again from the application; if it happens again, tell its developers.',
        400,
        { title: 'This sign-in link is not valid', detail: 'the redirect_uri is missing or is not registered for this client' },
      );
    }

    const redirectUri = q.redirect_uri;
    const fail = (error: string, description: string) =>
      c.redirect(clientRedirect(redirectUri, config.issuer, { error, error_description: description, state: q.state }), 302);

    if (q.response_type !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported');
    if (!q.code_challenge) return fail('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256');
    if (q.code_challenge_method !== 'S256') return fail('invalid_request', 'Only the S256 code_challenge_method is supported');
    if (!isValidS256Challenge(q.code_challenge)) return fail('invalid_request', 'code_challenge must be 43 base64url characters (S256)');

    const allowed = client.scope.split(' ');
    const asked = q.scope?.split(' ').filter(Boolean) ?? [];
    // offline_access asks for refresh tokens rather than for access: the user decides on the consent
    // page, when the server issues them and the client may use them; otherwise it is left out.
    const offlineAccess =
      asked.includes(OFFLINE_ACCESS) && config.refreshTokenTtlSeconds > 0 && client.grantTypes.includes(GRANT_TYPE.refreshToken);
    const requested = asked.filter((s) => s !== OFFLINE_ACCESS);
    const scopes = requested.length ? requested : allowed;
    const unknown = scopes.filter((s) => !allowed.includes(s));
    if (unknown.length) return fail('invalid_scope', `Unknown or not allowed scope: ${unknown.join(' ')}`);
    if (q.resource !== undefined && !isMcpResource(q.resource, config.mcpResource)) {
      return fail('invalid_target', `Tokens are only issued for the resource ${config.mcpResource}`);
    }

    const transaction: SignInTransaction = {
      id: randomBytes(32).toString('base64url'),
      csrf: randomBytes(32).toString('base64url'),
      expiresAt: now() + TRANSACTION_TTL_SECONDS,
      request: {
        clientId: client.id,
        clientName: client.name,
        redirectUri,
        state: q.state,
        codeChallenge: q.code_challenge,
        scope: [...new Set(scopes)].join(' '),
        resource: config.mcpResource,
        ...(offlineAccess && { offlineAccess }),
      },
      codesSent: 0,
    };
    await store.signIns.insert(transaction);
    await setTransactionCookie(c, config, transaction.id, TRANSACTION_TTL_SECONDS);
    return c.redirect(`${config.loginOrigin}${PAGES.email}`, 302);
  });

  return app;
}
