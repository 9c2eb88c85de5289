import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { AS_PATHS, basicAuthorization, OFFLINE_ACCESS } from '@mcp-secured-api/contracts';
import { mailboxSnapshot, pageText, parseForms, readCode, signIn, UserAgent } from '../../infra/local/headless-sign-in.ts';
import { startMaildev, type Maildev } from '../../test/support/maildev.ts';
import {
  codeRequest,
  GATEWAY_CLIENT,
  MCP_RESOURCE,
  postForm,
  registerClient,
  startTestAuthorizationServer,
  TEST_SCOPE,
  type TestAuthorizationServer,
} from '../../test/support/authorization-server.ts';

let mail: Maildev;
let as: TestAuthorizationServer;
let refreshing: string;
let plain: string;
const REDIRECT = 'https://agent.example/cb';
const JOHN = 'john.doe@demo.example';

/** A server whose refresh tokens live `refreshTokenTtlSeconds`, sending its mail to the inbox. */
const startServer = (refreshTokenTtlSeconds: number) =>
  startTestAuthorizationServer({
    smtp: mail.smtp,
    config: { refreshTokenTtlSeconds },
    deps: { limits: { signInPostsPerMinute: 1_000, registrationsPerMinute: 1_000, authorizationsPerMinute: 1_000 } },
  });

/** A public client of `server` with these grant types. */
const register = async (grantTypes: string[], server = as) =>
  (await registerClient(server.url, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: grantTypes })).body
    .client_id as string;

before(async () => {
  mail = await startMaildev();
  as = await startServer(3_600);
  refreshing = await register(['authorization_code', 'refresh_token']);
  plain = await register(['authorization_code']);
});
after(async () => {
  await as?.close();
  await mail?.close();
});

const authorization = (clientId: string, scope = `${TEST_SCOPE} ${OFFLINE_ACCESS}`, server = as) =>
  codeRequest(server.url, clientId, REDIRECT, { scope, resource: MCP_RESOURCE });

/** Signs John in for `clientId` and redeems the code. */
async function tokensFor(clientId: string, options: { scope?: string; refuseOfflineAccess?: boolean } = {}, server = as) {
  const { url, verifier } = authorization(clientId, options.scope, server);
  const result = await signIn({ authorizeUrl: url, email: JOHN, mailApi: mail.apiUrl, refuseOfflineAccess: options.refuseOfflineAccess });
  assert.ok(result.code, String(result.url));
  const response = await postForm(`${server.url}${AS_PATHS.token}`, {
    grant_type: 'authorization_code',
    client_id: clientId,
    code: result.code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  assert.equal(response.status, 200);
  return (await response.json()) as { access_token: string; refresh_token?: string; scope: string; expires_in: number };
}

const refresh = (clientId: string, refreshToken: string, extra: Record<string, string> = {}, server = as) =>
  postForm(`${server.url}${AS_PATHS.token}`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken, ...extra });

async function refused(response: Response, error: string) {
  assert.equal(response.status, 400);
  const body = (await response.json()) as { error: string; error_description: string };
  assert.equal(body.error, error, body.error_description);
}

/** The JWT behind an opaque token, or undefined when it is not active. */
async function jwtOf(accessToken: string, server = as): Promise<string | undefined> {
  const response = await postForm(
    `${server.url}${AS_PATHS.introspect}`,
    { token: accessToken },
    { authorization: basicAuthorization(GATEWAY_CLIENT.id, GATEWAY_CLIENT.secret), accept: 'application/jwt' },
  );
  return response.status === 200 ? response.text() : undefined;
}

test('the consent page asks for offline access on a line of its own, only when the client may have refresh tokens', async () => {
  const consentPage = async (clientId: string) => {
    const agent = new UserAgent();
    let page = await agent.navigate(authorization(clientId).url);
    const seen = await mailboxSnapshot(mail.apiUrl, JOHN);
    page = await agent.submit(parseForms(page.body, page.url)[0]!, { email: JOHN });
    const otp = await readCode({ mailApi: mail.apiUrl, email: JOHN, exclude: seen });
    page = await agent.submit(parseForms(page.body, page.url)[0]!, { otp });
    return page.body;
  };
  const asked = await consentPage(refreshing);
  assert.match(asked, /<input type="checkbox" name="offline_access" value="approve" checked/);
  assert.match(pageText(asked, 2_000), /keep this access while you are away.*up to 1 hour/i);
  assert.doesNotMatch(await consentPage(plain), /offline_access/, 'a client without the refresh_token grant is not offered it');
});

test('offline access approved: a refresh token that rotates, keeps the consent’s scope and claims, and is bound to its client', async () => {
  const first = await tokensFor(refreshing);
  assert.equal(first.scope, TEST_SCOPE, 'offline_access is not a scope of the access token');
  assert.match(first.refresh_token ?? '', /^[A-Za-z0-9_-]{43,}$/);
  const original = decodeJwt((await jwtOf(first.access_token))!);

  as.advance(600);
  await refused(await refresh(plain, first.refresh_token!), 'invalid_grant');
  await refused(await refresh(refreshing, first.refresh_token!, { resource: 'https://elsewhere.example/' }), 'invalid_target');
  await refused(await refresh(refreshing, first.refresh_token!, { scope: `${TEST_SCOPE} stocks/write` }), 'invalid_scope');

  const response = await refresh(refreshing, first.refresh_token!, { resource: MCP_RESOURCE });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const second = (await response.json()) as { access_token: string; refresh_token: string; scope: string; expires_in: number };
  assert.notEqual(second.refresh_token, first.refresh_token, 'rotated');
  assert.equal(second.scope, TEST_SCOPE);
  assert.equal(second.expires_in, 900);
  const renewed = decodeJwt((await jwtOf(second.access_token))!);
  for (const claim of ['sub', 'aud', 'scope', 'client_id', 'region', 'client_type', 'client_assurance_level'] as const) {
    assert.deepEqual(renewed[claim], original[claim], claim);
  }
  assert.notEqual(renewed.jti, original.jti);
  // The server's clock is the real one moved 600 s on, so a second may tick between the two issues.
  const later = renewed.iat! - original.iat!;
  assert.ok(later >= 600 && later <= 601, `issued ${later} s after the first, expected 600`);
  assert.ok(await jwtOf(first.access_token), 'the earlier access token lives on until it expires');

  const third = (await (await refresh(refreshing, second.refresh_token)).json()) as { refresh_token: string };
  assert.ok(third.refresh_token);
});

test('a used refresh token presented again is refused and revokes its whole family, access tokens included', async () => {
  const first = await tokensFor(refreshing);
  const second = (await (await refresh(refreshing, first.refresh_token!)).json()) as { access_token: string; refresh_token: string };
  assert.ok(await jwtOf(second.access_token));

  await refused(await refresh(refreshing, first.refresh_token!), 'invalid_grant');
  assert.equal(await jwtOf(first.access_token), undefined, 'the first access token is revoked');
  assert.equal(await jwtOf(second.access_token), undefined, 'the access token from the refresh is revoked');
  await refused(await refresh(refreshing, second.refresh_token), 'invalid_grant');

  const other = await tokensFor(refreshing);
  assert.ok(await jwtOf(other.access_token), 'another sign-in of the same client is a family of its own');
});

test('no refresh token without the user’s approval, for a client without the grant, or after its lifetime', async () => {
  assert.equal((await tokensFor(refreshing, { refuseOfflineAccess: true })).refresh_token, undefined, 'the user unticked it');
  assert.equal((await tokensFor(plain)).refresh_token, undefined, 'the client did not register the refresh_token grant');
  assert.equal((await tokensFor(refreshing, { scope: TEST_SCOPE })).refresh_token, undefined, 'the client did not ask');

  const { refresh_token } = await tokensFor(refreshing);
  as.advance(3_600);
  await refused(await refresh(refreshing, refresh_token!), 'invalid_grant');
});

test('revoking a refresh token revokes the access tokens issued with it', async () => {
  const tokens = await tokensFor(refreshing);
  const revoke = await postForm(`${as.url}${AS_PATHS.revoke}`, { token: tokens.refresh_token!, client_id: refreshing });
  assert.equal(revoke.status, 200);
  assert.equal(await jwtOf(tokens.access_token), undefined);
  await refused(await refresh(refreshing, tokens.refresh_token!), 'invalid_grant');
});

test('an access token outlives a shorter-lived refresh token: removing expired rows never cuts it short', async () => {
  const short = await startServer(60);
  try {
    const client = await register(['authorization_code', 'refresh_token'], short);
    const first = await tokensFor(client, {}, short);
    short.advance(50);
    const refreshed = (await (await refresh(client, first.refresh_token!, {}, short)).json()) as { access_token: string };
    // Past the first access token and both refresh tokens, within the refreshed access token's 900 s.
    short.advance(870);
    const removed = await short.server.sweep();
    assert.equal(removed.grants, 0, 'the grant lives as long as its last access token');
    assert.ok(await jwtOf(refreshed.access_token, short));
  } finally {
    await short.close();
  }
});

test('refreshTokenTtlSeconds 0: no refresh tokens, and metadata and registration say so', async () => {
  const off = await startTestAuthorizationServer({ config: { refreshTokenTtlSeconds: 0 } });
  try {
    const metadata = (await (await fetch(`${off.url}/.well-known/oauth-authorization-server${AS_PATHS.issuer}`)).json()) as {
      scopes_supported: string[];
      grant_types_supported: string[];
    };
    assert.deepEqual(metadata.scopes_supported, [TEST_SCOPE]);
    assert.ok(!metadata.grant_types_supported.includes('refresh_token'));
    const registration = await registerClient(off.url, {
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    assert.deepEqual(registration.body.grant_types, ['authorization_code']);
    const response = await postForm(`${off.url}${AS_PATHS.token}`, {
      grant_type: 'refresh_token',
      refresh_token: 'x',
      client_id: registration.body.client_id,
    });
    await refused(response, 'unsupported_grant_type');
  } finally {
    await off.close();
  }
});
