/**
 * Nothing is lost when the authorization server stops: a client registered and signed in before a
 * restart of the whole local stack (same data folder) calls tools with its access token after it,
 * uses its refresh token, and signs in again without registering; a SIGKILLed server loses nothing
 * it acknowledged; refresh tokens rotate, and a reused one revokes its family.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AS_PATHS, basicAuthorization } from '@mcp-secured-api/contracts';
import { callTool } from '../support/mcp.ts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';
import { obtainToken, refreshToken, TokenRequestError, type ObtainedToken } from '../support/tokens.ts';

const JOHN = 'john.doe@demo.example';

describe('the local stack restarted on its data folder', { timeout: 240_000 }, () => {
  let dataDir: string;
  let stack: TestStack | undefined;
  let before1: ObtainedToken;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'restart-test-'));
    stack = await startTestStack({}, { dataDir });
  });
  after(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const toolWorks = async (token: string) => {
    const answer = await callTool(stack!.model.mcpResource, token, 'fetch-stock-prices');
    return answer.status === 200 && answer.json?.result?.isError !== true ? 'ok' : `HTTP ${answer.status} ${answer.wwwAuthenticate ?? ''}`;
  };

  test('a client signed in before the restart keeps its access token, its refresh token and its registration', async () => {
    before1 = await obtainToken(stack!.model, { email: JOHN, mail: stack!.info.mail, offlineAccess: true });
    assert.ok(before1.refreshToken, 'a refresh token, as the client asked for offline access');
    assert.equal(await toolWorks(before1.accessToken), 'ok');

    const ports = stack!.ports;
    await stack!.stop();
    stack = undefined;
    stack = await startTestStack({}, { dataDir, ports });

    assert.equal(await toolWorks(before1.accessToken), 'ok', 'the access token from before the restart');
    const refreshed = await refreshToken(stack.model, before1);
    assert.equal(await toolWorks(refreshed.accessToken), 'ok', 'the access token from the refresh');
    const again = await obtainToken(stack.model, { email: JOHN, mail: stack.info.mail, clientId: before1.clientId });
    assert.equal(await toolWorks(again.accessToken), 'ok', 'signed in again without registering');
    before1 = refreshed;
  });

  test('a reused refresh token is refused and revokes the tokens issued from it', async () => {
    const next = await refreshToken(stack!.model, before1);
    await assert.rejects(refreshToken(stack!.model, before1), (error: TokenRequestError) => error.error === 'invalid_grant');
    assert.match(await toolWorks(next.accessToken), /HTTP 401/, 'the access token of the newest refresh is revoked too');
    await assert.rejects(refreshToken(stack!.model, next), (error: TokenRequestError) => error.error === 'invalid_grant');
  });

  test('a SIGKILLed authorization server loses nothing it acknowledged', async () => {
    const model = stack!.model;
    const signedIn = await obtainToken(model, { email: JOHN, mail: stack!.info.mail, offlineAccess: true });
    const rotated = await refreshToken(model, signedIn);
    // Registrations acknowledged up to the moment of the kill, from several connections at once.
    const acknowledged: string[] = [];
    let killed = false;
    const register = async () => {
      while (!killed) {
        const response = await fetch(model.endpoints.registration, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:8090/callback'], token_endpoint_auth_method: 'none' }),
          signal: AbortSignal.timeout(10_000),
        }).catch(() => undefined);
        if (response?.status === 201) acknowledged.push(((await response.json()) as { client_id: string }).client_id);
        else await response?.body?.cancel();
      }
    };
    const loops = Array.from({ length: 4 }, register);
    while (acknowledged.length < 20) await new Promise((resolve) => setTimeout(resolve, 20));
    process.kill(stack!.pids()['authorization-server']!, 'SIGKILL');
    killed = true;
    await Promise.all(loops);
    await stack!.part('authorization-server').start();

    // Asked of the server itself: the gateway's connections to the killed process are not the question here.
    const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${stack!.info.upstreams.authorizationServer}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(form),
      });
    const introspected = await post(
      AS_PATHS.introspect,
      { token: rotated.accessToken },
      { authorization: basicAuthorization(model.clients.gateway.id, stack!.secrets.gatewayClientSecret), accept: 'application/jwt' },
    );
    assert.equal(introspected.status, 200, 'the access token issued just before the kill');
    const refreshed = await post(AS_PATHS.token, {
      grant_type: 'refresh_token',
      refresh_token: rotated.refreshToken!,
      client_id: rotated.clientId,
    });
    assert.equal(refreshed.status, 200, 'the refresh token rotated just before the kill');
    const unknown: string[] = [];
    for (const clientId of acknowledged) {
      // A known public client gets past authentication to the (bad) code; an unknown one is invalid_client.
      const answer = await post(AS_PATHS.token, {
        grant_type: 'authorization_code',
        client_id: clientId,
        code: 'x',
        redirect_uri: 'x',
        code_verifier: 'x',
      });
      if (((await answer.json()) as { error: string }).error !== 'invalid_grant') unknown.push(clientId);
    }
    assert.deepEqual(unknown, [], `${unknown.length} of ${acknowledged.length} acknowledged registrations were lost`);
  });
});
