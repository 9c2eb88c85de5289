/**
 * Revocation reaches the gateway: a token revoked at the authorization server (RFC 7009, or by a
 * replayed authorization code) stops working through the gateway within introspectionCacheSeconds,
 * although the gateway caches introspection answers and the token itself lives much longer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signIn } from '../../infra/local/headless-sign-in.ts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';
import { mcpRequest } from '../support/mcp.ts';
import { authorizationRequest, obtainToken, registerPublicClient } from '../support/tokens.ts';

const JOHN = 'john.doe@demo.example';
/** Small, so the test is quick; the tokens live 900 s, far longer than any wait here. */
const WINDOW_SECONDS = 2;
/** What a busy machine may add to the window: a poll, a slow introspection. */
const SLACK_MS = 1_500;

describe('revocation through the local stack', { timeout: 180_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ introspectionCacheSeconds: WINDOW_SECONDS });
  });
  after(async () => {
    await stack?.stop();
  });

  const listTools = (token: string) => mcpRequest(`${stack.info.mcp}/`, token, 'tools/list');

  /** Milliseconds from now until the gateway refuses `token`, polling; fails past the window and its slack. */
  async function refusedWithin(token: string): Promise<number> {
    const started = Date.now();
    const deadline = started + WINDOW_SECONDS * 1000 + SLACK_MS;
    for (;;) {
      const { status } = await listTools(token);
      if (status === 401) return Date.now() - started;
      assert.equal(status, 200, 'the gateway either still serves the cached token or refuses it');
      assert.ok(Date.now() < deadline, `the revoked token still worked ${Date.now() - started} ms after revocation`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  test('a token revoked with RFC 7009 is refused at the gateway within introspectionCacheSeconds', async () => {
    const { accessToken, clientId } = await obtainToken(stack.model, { email: JOHN, mail: stack.info.mail });
    // Twice: the second answer comes from the gateway's cache.
    assert.equal((await listTools(accessToken)).status, 200);
    assert.equal((await listTools(accessToken)).status, 200);

    const revoked = await fetch(stack.model.endpoints.revoke, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: accessToken, client_id: clientId }),
    });
    assert.equal(revoked.status, 200);
    await refusedWithin(accessToken);
  });

  test('a replayed authorization code revokes its tokens, and the gateway refuses them within introspectionCacheSeconds', async () => {
    const redirectUri = 'http://127.0.0.1:8090/callback';
    const clientId = await registerPublicClient(stack.model, redirectUri);
    const { url, verifier } = authorizationRequest(stack.model, { clientId, redirectUri });
    const { code } = await signIn({ authorizeUrl: url, email: JOHN, mailApi: stack.info.mail });
    assert.ok(code);
    const redeem = () =>
      fetch(stack.model.endpoints.token, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          client_id: clientId,
          code_verifier: verifier,
          resource: stack.model.mcpResource,
        }),
      });
    const first = await redeem();
    assert.equal(first.status, 200);
    const { access_token: accessToken } = (await first.json()) as { access_token: string };
    assert.equal((await listTools(accessToken)).status, 200);

    const replay = await redeem();
    assert.equal(replay.status, 400);
    assert.equal(((await replay.json()) as { error: string }).error, 'invalid_grant');
    await refusedWithin(accessToken);
  });
});
