import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AS_PATHS } from '@mcp-secured-api/contracts';
import { PAGES } from './paths.ts';
import {
  authorizeUrl,
  MCP_RESOURCE,
  pkcePair,
  registerClient,
  startTestAuthorizationServer,
  TEST_SCOPE,
  type TestAuthorizationServer,
} from '../../test/support/authorization-server.ts';

let as: TestAuthorizationServer;
let clientId: string;
const pkce = pkcePair();

before(async () => {
  as = await startTestAuthorizationServer();
  const registration = await registerClient(as.url, {
    redirect_uris: ['http://127.0.0.1:8090/callback', 'https://agent.example/cb'],
    token_endpoint_auth_method: 'none',
  });
  clientId = registration.body.client_id;
});
after(() => as.close());

function request(overrides: Record<string, string | undefined> = {}) {
  return fetch(
    authorizeUrl(as.url, {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: 'https://agent.example/cb',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      scope: TEST_SCOPE,
      state: 'xyz',
      resource: MCP_RESOURCE,
      ...overrides,
    }),
    { redirect: 'manual' },
  );
}

/** The error a refused request was redirected with, after checking state and iss came back. */
async function redirectedError(response: Response, redirectUri = 'https://agent.example/cb'): Promise<string | null> {
  assert.equal(response.status, 302);
  const location = new URL(response.headers.get('location')!);
  assert.equal(`${location.origin}${location.pathname}`, redirectUri);
  assert.equal(location.searchParams.get('state'), 'xyz');
  assert.equal(location.searchParams.get('iss'), as.issuer);
  assert.equal(location.searchParams.get('code'), null);
  return location.searchParams.get('error');
}

async function shownAsPage(response: Response): Promise<string> {
  assert.equal(response.status, 400);
  assert.equal(response.headers.get('location'), null, 'never redirected');
  assert.match(response.headers.get('content-type') ?? '', /text\/html/);
  return response.text();
}

test('a valid request starts sign-in with a signed, HttpOnly, SameSite=Lax cookie', async () => {
  const response = await request();
  assert.equal(response.status, 302);
  assert.equal(response.headers.get('location'), `${as.url}${PAGES.email}`);
  const cookie = response.headers.getSetCookie()[0] ?? '';
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.doesNotMatch(cookie, /Secure/, 'not Secure on an http login origin');
  assert.match(cookie, /^as_signin=[^;]+\.[^;]+;/, 'the value carries a signature');
});

test('PKCE: a missing challenge, the plain method, a missing method and a malformed challenge are refused', async () => {
  assert.equal(await redirectedError(await request({ code_challenge: undefined, code_challenge_method: undefined })), 'invalid_request');
  assert.equal(await redirectedError(await request({ code_challenge: undefined })), 'invalid_request');
  assert.equal(await redirectedError(await request({ code_challenge_method: 'plain' })), 'invalid_request');
  assert.equal(await redirectedError(await request({ code_challenge_method: undefined })), 'invalid_request');
  assert.equal(await redirectedError(await request({ code_challenge: 'too-short' })), 'invalid_request');
});

test('other errors are redirected with state and iss: response type, unknown scope, another resource', async () => {
  assert.equal(await redirectedError(await request({ response_type: 'token' })), 'unsupported_response_type');
  assert.equal(await redirectedError(await request({ scope: 'stocks/write' })), 'invalid_scope');
  assert.equal(await redirectedError(await request({ scope: `${TEST_SCOPE} openid` })), 'invalid_scope');
  assert.equal(await redirectedError(await request({ resource: 'https://evil.example/' })), 'invalid_target');
});

test('the loopback redirect URI may change its port, nothing else', async () => {
  const ok = await request({ redirect_uri: 'http://127.0.0.1:51234/callback' });
  assert.equal(ok.status, 302);
  assert.equal(ok.headers.get('location'), `${as.url}${PAGES.email}`);
  assert.match(await shownAsPage(await request({ redirect_uri: 'http://127.0.0.1:51234/other' })), /redirect_uri/);
  assert.match(await shownAsPage(await request({ redirect_uri: 'http://localhost:8090/callback' })), /redirect_uri/);
});

test('no open redirect: an unregistered, missing or altered redirect URI and an unknown client are shown as a page', async () => {
  for (const redirect_uri of [
    'https://evil.example/cb',
    'https://agent.example/cb/',
    'https://agent.example:444/cb',
    'https://agent.example/cb?x=1',
    undefined,
  ]) {
    const body = await shownAsPage(await request({ redirect_uri, response_type: 'token' }));
    assert.match(body, /redirect_uri/, String(redirect_uri));
  }
  assert.match(await shownAsPage(await request({ client_id: 'no-such-client' })), /not registered/);
  assert.match(await shownAsPage(await request({ client_id: undefined })), /client_id/);
});

test('a repeated parameter is refused as a page', async () => {
  const url = `${authorizeUrl(as.url, { response_type: 'code', client_id: clientId, redirect_uri: 'https://agent.example/cb', code_challenge: pkce.challenge, code_challenge_method: 'S256' })}&code_challenge_method=plain`;
  assert.match(await shownAsPage(await fetch(url, { redirect: 'manual' })), /repeats the parameter code_challenge_method/);
});

test('pages forbid framing and referrers', async () => {
  const page = await fetch(`${as.url}${PAGES.email}`);
  assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
});

test('the cookie is Secure when the login origin is https', async () => {
  const secure = await startTestAuthorizationServer({
    config: { loginOrigin: 'https://login.demo.example', issuer: `https://login.demo.example${AS_PATHS.issuer}` },
  });
  try {
    const registration = await registerClient(secure.url, {
      redirect_uris: ['https://agent.example/cb'],
      token_endpoint_auth_method: 'none',
    });
    const response = await fetch(
      authorizeUrl(secure.url, {
        response_type: 'code',
        client_id: registration.body.client_id,
        redirect_uri: 'https://agent.example/cb',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      }),
      { redirect: 'manual' },
    );
    assert.equal(
      response.headers.get('location'),
      `https://login.demo.example${PAGES.email}`,
      'public URLs use the login origin, not the Host header',
    );
    assert.match(response.headers.getSetCookie()[0] ?? '', /Secure/);
  } finally {
    await secure.close();
  }
});

test('a client metadata document that cannot be used is shown as a page, never redirected', async () => {
  const body = await shownAsPage(await request({ client_id: 'https://10.0.0.8/client.json', redirect_uri: 'https://agent.example/cb' }));
  assert.match(body, /We cannot verify this application/);
  assert.match(body, /Technical detail: invalid_client: its client metadata document: /);
});

test("authorization requests are limited per address, so one address cannot flush everyone's sign-ins", async () => {
  const limited = await startTestAuthorizationServer({ deps: { limits: { authorizationsPerMinute: 3 } } });
  try {
    const registration = await registerClient(limited.url, {
      redirect_uris: ['https://agent.example/cb'],
      token_endpoint_auth_method: 'none',
    });
    const start = () =>
      fetch(
        authorizeUrl(limited.url, {
          response_type: 'code',
          client_id: registration.body.client_id,
          redirect_uri: 'https://agent.example/cb',
          code_challenge: pkce.challenge,
          code_challenge_method: 'S256',
          state: 'xyz',
        }),
        { redirect: 'manual' },
      );
    for (let i = 0; i < 3; i++) assert.equal((await start()).status, 302, 'to the sign-in page');
    const refused = await start();
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.match(await refused.text(), /too many sign-ins started from your network/);
  } finally {
    await limited.close();
  }
});
