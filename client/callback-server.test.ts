import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { AuthorizationResponseError, startCallbackServer, type CallbackServer } from './callback-server.ts';

let server: CallbackServer;
beforeEach(async () => {
  server = await startCallbackServer({ port: 0 });
});
afterEach(() => server.close());

const ISSUER = 'https://login.demo.example/oauth/v2/oauth-anonymous';
const respond = (params: Record<string, string>) => fetch(`${server.redirectUrl}?${new URLSearchParams(params)}`);

test('the redirect URI is a loopback IP literal with the port it listens on', () => {
  assert.match(server.redirectUrl, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  assert.notEqual(new URL(server.redirectUrl).port, '0');
});

test('a response with a wrong state is refused and the sign-in keeps waiting for the right one', async () => {
  const code = server.expect({ state: 'expected-state', issuer: ISSUER, timeoutMs: 5_000 });
  const forged = await respond({ code: 'attacker-code', state: 'other-state', iss: ISSUER });
  assert.equal(forged.status, 400);
  assert.match(await forged.text(), /state mismatch/);
  const missing = await respond({ code: 'attacker-code' });
  assert.equal(missing.status, 400);
  await missing.text();

  const genuine = await respond({ code: 'good-code', state: 'expected-state', iss: ISSUER });
  assert.equal(genuine.status, 200);
  assert.equal(genuine.headers.get('cache-control'), 'no-store');
  await genuine.text();
  assert.equal(await code, 'good-code');
});

test('a response from another issuer is refused and ends the sign-in (mix-up defence)', async () => {
  const refused = assert.rejects(
    server.expect({ state: 's', issuer: ISSUER, timeoutMs: 5_000 }),
    (err: AuthorizationResponseError) => err.code === 'issuer_mismatch' && /evil\.example/.test(err.message),
  );
  const res = await respond({ code: 'c', state: 's', iss: 'https://evil.example' });
  assert.equal(res.status, 400);
  await res.text();
  await refused;
});

test('iss is required when the authorization server promised it, and optional otherwise', async () => {
  const refused = assert.rejects(
    server.expect({ state: 's1', issuer: ISSUER, issuerRequired: true, timeoutMs: 5_000 }),
    (err: AuthorizationResponseError) => err.code === 'issuer_missing',
  );
  await (await respond({ code: 'c', state: 's1' })).text();
  await refused;

  const optional = server.expect({ state: 's2', issuer: ISSUER, timeoutMs: 5_000 });
  await (await respond({ code: 'c2', state: 's2' })).text();
  assert.equal(await optional, 'c2');
});

test('an error response ends the sign-in with the server’s reason', async () => {
  const refused = assert.rejects(
    server.expect({ state: 's', timeoutMs: 5_000 }),
    (err: AuthorizationResponseError) => err.code === 'authorization_denied' && /The user declined/.test(err.message),
  );
  await (await respond({ error: 'access_denied', error_description: 'The user declined', state: 's' })).text();
  await refused;
});

test('a response when no sign-in is in progress is refused', async () => {
  const res = await respond({ code: 'c', state: 's' });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /No sign-in is in progress/);
});

test('a sign-in that never comes back times out', async () => {
  await assert.rejects(server.expect({ state: 's', timeoutMs: 50 }), (err: AuthorizationResponseError) => err.code === 'timeout');
});

test('a port in use is reported with what to do', async () => {
  const port = Number(new URL(server.redirectUrl).port);
  await assert.rejects(startCallbackServer({ port }), /--callback-port/);
});
