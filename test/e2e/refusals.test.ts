/**
 * What agents must never manage through the local stack: tokens at the wrong place, tokens that
 * are no longer valid, a refused consent, and people who are not configured users.
 */
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { authorizationRequest, obtainToken, registerPublicClient } from '../support/tokens.ts';
import { pageText, parseForms, signIn, UserAgent } from '../../infra/local/headless-sign-in.ts';
import { mcpRequest } from '../support/mcp.ts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';
import { basicAuthorization, GRANT_TYPE, TOKEN_TYPE } from '@mcp-secured-api/contracts';

const JOHN = 'john.doe@demo.example';

describe('refusals through the local stack', { timeout: 180_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack?.stop();
  });

  const listTools = (token: string | undefined) => mcpRequest(`${stack.info.mcp}/`, token, 'tools/list');

  /** What the gateway forwards: the JWT behind an opaque token, from introspection as the gateway's client. */
  async function jwtBehind(opaque: string): Promise<string> {
    const response = await fetch(stack.model.endpoints.introspect, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/jwt',
        authorization: basicAuthorization(stack.model.clients.gateway.id, stack.secrets.gatewayClientSecret),
      },
      body: new URLSearchParams({ token: opaque }),
    });
    assert.equal(response.status, 200);
    return response.text();
  }

  test('a request without a token is refused with a challenge, and the metadata it needs is public', async () => {
    const response = await listTools(undefined);
    assert.equal(response.status, 401);
    assert.match(response.wwwAuthenticate ?? '', /^Bearer\b/);
    const metadata = await fetch(`${stack.info.mcp}/.well-known/oauth-protected-resource`);
    assert.equal(metadata.status, 200);
    const body = (await metadata.json()) as { resource: string; authorization_servers: string[]; scopes_supported: string[] };
    assert.equal(body.resource, stack.model.mcpResource);
    assert.deepEqual(body.authorization_servers, [stack.model.issuer]);
    assert.deepEqual(body.scopes_supported, [stack.model.scope]);
  });

  test('an opaque token works at the MCP route; the JWT behind it is refused everywhere it could be replayed', async () => {
    const { accessToken } = await obtainToken(stack.model, { email: JOHN, mail: stack.info.mail });
    assert.ok(!accessToken.includes('.'), 'the client gets an opaque token, not a JWT');
    assert.equal((await listTools(accessToken)).status, 200);

    const jwt = await jwtBehind(accessToken);
    // A JWT presented to the gateway is not a token it issued: refused, at both public routes.
    assert.equal((await listTools(jwt)).status, 401);
    const atApi = await fetch(`${stack.info.api}/stocks`, { headers: { authorization: `Bearer ${jwt}` } });
    assert.equal(atApi.status, 401);
    // The MCP-audience JWT presented straight to the API (behind the gateway): wrong audience.
    const direct = await fetch(`${stack.info.upstreams.stocksApi}/stocks`, { headers: { authorization: `Bearer ${jwt}` } });
    assert.equal(direct.status, 401);
    assert.match(direct.headers.get('www-authenticate') ?? '', /invalid_token/);
  });

  test("the MCP client's opaque token is refused at the API route: its JWT is for the MCP server", async () => {
    const { accessToken } = await obtainToken(stack.model, { email: JOHN, mail: stack.info.mail });
    const response = await fetch(`${stack.info.api}/stocks`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(response.status, 401);
    const body = await response.text();
    assert.ok(!body.includes('COM1'), body);
  });

  test('an API-audience token (after exchange) is refused at the MCP route', async () => {
    const { accessToken } = await obtainToken(stack.model, { email: JOHN, mail: stack.info.mail });
    const jwt = await jwtBehind(accessToken);
    const exchange = await fetch(`${stack.info.upstreams.authorizationServer}/oauth/v2/oauth-token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuthorization(stack.model.clients.mcpServer.id, stack.secrets.mcpClientSecret),
      },
      body: new URLSearchParams({
        grant_type: GRANT_TYPE.tokenExchange,
        subject_token: jwt,
        subject_token_type: TOKEN_TYPE.accessToken,
        audience: stack.model.apiAudience,
      }),
    });
    assert.equal(exchange.status, 200);
    const apiToken = ((await exchange.json()) as { access_token: string }).access_token;
    assert.equal((await listTools(apiToken)).status, 401);
  });

  test('a revoked opaque token is refused', async () => {
    const token = await obtainToken(stack.model, { email: JOHN, mail: stack.info.mail });
    const revoke = await fetch(stack.model.endpoints.revoke, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: token.accessToken, client_id: token.clientId }),
    });
    assert.equal(revoke.status, 200);
    assert.equal((await listTools(token.accessToken)).status, 401);
  });

  test('a random opaque token is refused', async () => {
    assert.equal((await listTools(randomBytes(32).toString('base64url'))).status, 401);
  });

  test('a deny at consent returns access_denied to the client and no code', async () => {
    const clientId = await registerPublicClient(stack.model, 'http://127.0.0.1:8090/callback');
    const result = await signIn({ authorizeUrl: authorizeUrl(clientId), email: JOHN, mailApi: stack.info.mail, decision: 'deny' });
    assert.equal(result.error, 'access_denied');
    assert.equal(result.code, undefined);
    assert.equal(result.iss, stack.model.issuer);
  });

  test('an unknown email gets the same page as a user, and no code is ever sent to it', async () => {
    const clientId = await registerPublicClient(stack.model, 'http://127.0.0.1:8090/callback');
    const pages: string[] = [];
    for (const email of ['mallory@evil.example', JOHN]) {
      const agent = new UserAgent();
      const page = await agent.navigate(authorizeUrl(clientId));
      const form = parseForms(page.body, page.url).find((f) => 'email' in f.fields)!;
      const next = await agent.submit(form, { email });
      pages.push(pageText(next.body).replaceAll(email, '<email>'));
    }
    assert.equal(pages[0], pages[1], 'the page after the email must not tell registered from unknown addresses');
    await new Promise((r) => setTimeout(r, 500));
    const mails = (await (await fetch(`${stack.info.mail}/email`)).json()) as { to: { address: string }[] }[];
    assert.ok(!mails.some((m) => m.to.some((t) => t.address === 'mallory@evil.example')), 'no mail to an unknown address');
  });

  test('a wrong code does not sign in', async () => {
    const clientId = await registerPublicClient(stack.model, 'http://127.0.0.1:8090/callback');
    const agent = new UserAgent();
    let page = await agent.navigate(authorizeUrl(clientId));
    page = await agent.submit(
      parseForms(page.body, page.url).find((f) => 'email' in f.fields)!,
      { email: JOHN },
    );
    const otpForm = parseForms(page.body, page.url).find((f) => 'otp' in f.fields)!;
    page = await agent.submit(otpForm, { otp: '000000' });
    assert.equal(page.location, undefined, 'no redirect to the client');
    assert.ok(!parseForms(page.body, page.url).some((f) => f.buttons.some((b) => b.name === 'decision')), 'no consent page');
  });

  const authorizeUrl = (clientId: string) =>
    authorizationRequest(stack.model, { clientId, redirectUri: 'http://127.0.0.1:8090/callback' }).url;
});
