import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, test } from 'node:test';
import { AuthorizationResponseError, startCallbackServer, type CallbackServer } from './callback-server.ts';

let server: CallbackServer;
beforeEach(async () => {
  server = await startCallbackServer({ port: 0 });
});
afterEach(() => server.close());

const respond = (params: Record<string, string>) => fetch(`${server.redirectUrl}?${new URLSearchParams(params)}`);
const refusedWith = (code: AuthorizationResponseError['code'], message: RegExp) => (err: AuthorizationResponseError) =>
  err.code === code && message.test(err.message);

test('the redirect URI is a loopback IP literal with the port it listens on', () => {
  assert.match(server.redirectUrl, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  assert.notEqual(new URL(server.redirectUrl).port, '0');
});

test('the page the browser shows is small, styled, readable on a phone, and allows nothing but its own style', async () => {
  const response = server.expect({ state: 's', timeoutMs: 5_000 });
  const page = await respond({ code: 'c', state: 's' });
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=UTF-8');
  assert.equal(page.headers.get('cache-control'), 'no-store');
  const html = await page.text();
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1" \/>/);
  assert.match(html, /<h1>Signed in<\/h1>/);
  assert.ok(html.length < 2_000, `${html.length} bytes`);
  // The Content-Security-Policy names the hash of exactly the style block the page carries.
  const style = /<style>(.*)<\/style>/s.exec(html)?.[1] ?? '';
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.ok(csp.includes(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`), csp);
  assert.match(csp, /default-src 'none'/);
  assert.equal((await response).get('code'), 'c');
});

test('a response with a wrong state is refused and the sign-in keeps waiting for the right one', async () => {
  const response = server.expect({ state: 'expected-state', timeoutMs: 5_000 });
  const forged = await respond({ code: 'attacker-code', state: 'other-state' });
  assert.equal(forged.status, 400);
  assert.match(await forged.text(), /state mismatch/);
  const missing = await respond({ code: 'attacker-code' });
  assert.equal(missing.status, 400);
  await missing.text();

  const genuine = await respond({ code: 'good-code', state: 'expected-state', iss: 'https://login.example' });
  assert.equal(genuine.status, 200);
  await genuine.text();
  const params = await response;
  assert.equal(params.get('code'), 'good-code');
  assert.equal(params.get('iss'), 'https://login.example', 'iss reaches the client, which checks it again');
});

test('a response the check refuses ends the sign-in, and the page says why without running what it was sent', async () => {
  const refused = assert.rejects(
    server.expect({
      state: 's',
      timeoutMs: 5_000,
      check: (params) => {
        throw new Error(`Refused "${params.get('iss')}".`);
      },
    }),
    refusedWith('ERR_RESPONSE_REFUSED', /^Sign-in refused\. Refused "<script>"\.$/),
  );
  const page = await respond({ code: 'c', state: 's', iss: '<script>' });
  assert.equal(page.status, 400);
  const html = await page.text();
  assert.ok(!html.includes('<script>'));
  assert.match(html, /&lt;script&gt;/);
  await refused;
});

test('an error response ends the sign-in with the server’s reason', async () => {
  const refused = assert.rejects(
    server.expect({ state: 's', timeoutMs: 5_000 }),
    refusedWith('ERR_AUTHORIZATION_DENIED', /The user declined/),
  );
  await (await respond({ error: 'access_denied', error_description: 'The user declined', state: 's' })).text();
  await refused;
});

test('a response without a code ends the sign-in', async () => {
  const refused = assert.rejects(server.expect({ state: 's', timeoutMs: 5_000 }), refusedWith('ERR_CODE_MISSING', /no code/));
  await (await respond({ state: 's' })).text();
  await refused;
});

test('a response when no sign-in is in progress is refused', async () => {
  const res = await respond({ code: 'c', state: 's' });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /not waiting for a sign-in/);
});

test('a sign-in that never comes back times out', async () => {
  await assert.rejects(server.expect({ state: 's', timeoutMs: 50 }), refusedWith('ERR_SIGN_IN_TIMEOUT', /No sign-in completed/));
});

test('a port in use is reported with what to do, or replaced by a free one when the caller allows it', async () => {
  const port = Number(new URL(server.redirectUrl).port);
  await assert.rejects(startCallbackServer({ port }), /The callback port \d+ is in use\. Choose another with --callback-port/);
  await assert.rejects(startCallbackServer({ port, portInUseAdvice: 'Free it.' }), /is in use\. Free it\.$/);
  const other = await startCallbackServer({ port, anyPortIfInUse: true });
  try {
    assert.equal(other.portInUse, port);
    assert.notEqual(new URL(other.redirectUrl).port, String(port));
  } finally {
    await other.close();
  }
});
