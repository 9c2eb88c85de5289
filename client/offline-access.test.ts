/**
 * Offline access: against an authorization server that offers `offline_access` and the
 * refresh-token grant, the client asks for both, renews its access token silently (before it
 * expires, and when the server refuses it), and signs in again only when the refresh token is
 * refused. With `--token-store FILE` the next run reuses what this one kept; `--logout` forgets it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runConsoleClient, SIGN_IN, startConsoleClient } from '../test/support/in-process-client.ts';
import { startTestServer, type TestServer } from '../test/support/oauth-mcp-server.ts';

const TTL_SECONDS = 600;
let server: TestServer;
let work: string;
before(async () => {
  server = await startTestServer({ offlineAccess: true, tokenTtlSeconds: TTL_SECONDS });
  work = await mkdtemp(join(tmpdir(), 'mcp-client-tokens-'));
});
after(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

const grants = (from: number) => server.tokenRequests.slice(from).map((form) => form.get('grant_type'));

test('the client asks for offline access only where the authorization server offers it', async () => {
  const plain = await startTestServer();
  try {
    const offered = await runConsoleClient(server, [...SIGN_IN, '--list', server.mcpUrl]);
    assert.equal(offered.status, 0, offered.stderr);
    assert.deepEqual(server.registrations.at(-1)?.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal(server.registrations.at(-1)?.application_type, 'native');
    assert.deepEqual(server.authorizationRequests.at(-1)?.get('scope')?.split(' '), ['stocks/read', 'offline_access']);
    assert.match(
      offered.stderr,
      /Signed in: access token received \(scope "stocks\/read offline_access", expires in 600 s, with a refresh token\)/,
    );

    const notOffered = await runConsoleClient(plain, [...SIGN_IN, '--list', plain.mcpUrl]);
    assert.equal(notOffered.status, 0, notOffered.stderr);
    assert.equal(plain.authorizationRequests.at(-1)?.get('scope'), 'stocks/read');
    assert.match(notOffered.stderr, /Signed in: access token received \(scope "stocks\/read", expires in 900 s\)/);
  } finally {
    await plain.close();
  }
});

test('an access token about to expire is refreshed before it is used, without a sign-in', async () => {
  let clock = Date.now();
  const client = startConsoleClient(server, [...SIGN_IN, server.mcpUrl], () => clock);
  const signIns = server.authorizationRequests.length;
  const tokenRequests = server.tokenRequests.length;
  await client.command('list', 'Returns the text it is given.');
  // 30 s before the end of its lifetime, inside the refresh margin.
  clock += (TTL_SECONDS - 30) * 1000;
  await client.command('call echo {"text":"one"}', 'one');
  // And again with the rotated refresh token: the first one is spent.
  clock += (TTL_SECONDS - 30) * 1000;
  await client.command('call echo {"text":"two"}', 'two');
  assert.equal(await client.finish(), 0, client.stderr.text());
  assert.deepEqual(grants(tokenRequests), ['authorization_code', 'refresh_token', 'refresh_token']);
  assert.equal(server.authorizationRequests.length, signIns + 1);
  assert.equal(
    client.stderr.text().match(/Access token refreshed \(scope "stocks\/read offline_access", expires in 600 s, with a refresh token\)/g)
      ?.length,
    2,
  );
  assert.doesNotMatch(client.stderr.text(), /refused/);
});

test('a token the server refuses (401 invalid_token) is refreshed; a refused refresh token leads to a sign-in', async () => {
  const client = startConsoleClient(server, [...SIGN_IN, server.mcpUrl]);
  const signIns = server.authorizationRequests.length;
  const tokenRequests = server.tokenRequests.length;
  await client.command('list', 'Returns the text it is given.');

  server.expireAccessTokens();
  await client.command('call echo {"text":"refreshed"}', 'refreshed');
  assert.equal(server.authorizationRequests.length, signIns + 1, 'no new sign-in');

  server.expireAccessTokens();
  server.revokeRefreshTokens();
  await client.command('call echo {"text":"signed in again"}', 'signed in again');
  assert.equal(await client.finish(), 0, client.stderr.text());
  assert.deepEqual(grants(tokenRequests), ['authorization_code', 'refresh_token', 'refresh_token', 'authorization_code']);
  assert.equal(server.authorizationRequests.length, signIns + 2);
  assert.match(client.stderr.text(), /The server refused the access token\.\n(.*\n)*Access token refreshed/);
  assert.match(client.stderr.text(), /The refresh token was not accepted; signing in again\.\n(.*\n)*Sign in/);
});

test('--token-store keeps the session for the next run (mode 0600), and --logout deletes it', async () => {
  const store = join(work, 'tokens.json');
  // No --callback-port: later runs take the port of the kept registration again.
  const withStore = ['--authorize', 'http', '--token-store', store, '--list', server.mcpUrl];
  const registrations = server.registrations.length;
  const signIns = server.authorizationRequests.length;

  const first = await runConsoleClient(server, withStore);
  assert.equal(first.status, 0, first.stderr);
  assert.equal((await stat(store)).mode & 0o777, 0o600);
  assert.equal(server.authorizationRequests.length, signIns + 1);

  // The next run uses the kept token: no registration, no sign-in.
  const second = await runConsoleClient(server, withStore);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, new RegExp(`Using the tokens kept in ${store}\\.`));
  assert.equal(server.registrations.length, registrations + 1);
  assert.equal(server.authorizationRequests.length, signIns + 1);

  // Once the access token has expired, the next run refreshes it with the kept refresh token.
  server.expireAccessTokens();
  const tokenRequests = server.tokenRequests.length;
  const third = await runConsoleClient(server, withStore);
  assert.equal(third.status, 0, third.stderr);
  assert.deepEqual(grants(tokenRequests), ['refresh_token']);
  assert.equal(server.authorizationRequests.length, signIns + 1);

  // On another port the kept registration cannot serve a sign-in, nor its refresh token a refresh:
  // the access token is used while it lasts, then the client registers and signs in again.
  const otherPort = await runConsoleClient(server, [...SIGN_IN, '--token-store', store, '--list', server.mcpUrl]);
  assert.equal(otherPort.status, 0, otherPort.stderr);
  assert.match(
    otherPort.stderr,
    /The kept registration is for http:\/\/127\.0\.0\.1:\d+\/callback, not http:\/\/127\.0\.0\.1:\d+\/callback; it will register again when a sign-in is needed\./,
  );
  assert.equal(server.authorizationRequests.length, signIns + 1, 'the kept access token still works');

  // Sign out after a refresh, so that the kept refresh token is the one to revoke.
  server.expireAccessTokens();
  assert.equal((await runConsoleClient(server, withStore)).status, 0);
  const kept = (JSON.parse(await readFile(store, 'utf8')) as { servers: Record<string, { tokens: { refresh_token: string } }> }).servers[
    server.mcpUrl
  ];
  const logout = await runConsoleClient(server, ['--token-store', store, '--logout', server.mcpUrl]);
  assert.equal(logout.status, 0, logout.stderr);
  assert.match(
    logout.stderr,
    new RegExp(
      `Signed out of ${server.mcpUrl}: the authorization server revoked the refresh token, and the tokens were deleted from ${store}\\.`,
    ),
  );
  assert.equal(server.revocations.at(-1)?.get('token'), kept?.tokens.refresh_token);
  assert.equal(server.revocations.at(-1)?.get('token_type_hint'), 'refresh_token');
  await assert.rejects(stat(store), { code: 'ENOENT' }, 'the last server signed out: the file is gone');

  const fourth = await runConsoleClient(server, withStore);
  assert.equal(fourth.status, 0, fourth.stderr);
  assert.equal(server.authorizationRequests.length, signIns + 2, 'signed out: a new sign-in');
});

test('a token store others may read, or not written by the client, is refused without showing its content', async () => {
  const store = join(work, 'loose.json');
  await writeFile(store, '{"secret": "do-not-print"}', { mode: 0o644 });
  const loose = await runConsoleClient(server, [...SIGN_IN, '--token-store', store, '--list', server.mcpUrl]);
  assert.equal(loose.status, 1);
  assert.match(loose.stderr, new RegExp(`may be read by other users \\(mode 644\\); it holds tokens\\. Run chmod 600 ${store}`));

  await writeFile(store, '{"secret": "do-not-print"}', { mode: 0o600 });
  const { chmod } = await import('node:fs/promises');
  await chmod(store, 0o600);
  const foreign = await runConsoleClient(server, [...SIGN_IN, '--token-store', store, '--list', server.mcpUrl]);
  assert.equal(foreign.status, 1);
  assert.match(foreign.stderr, /was not written by this client; delete it or choose another file/);
  for (const output of [loose, foreign]) assert.doesNotMatch(output.stderr + output.stdout, /do-not-print/);
  assert.equal(await readFile(store, 'utf8'), '{"secret": "do-not-print"}', 'left as it was');
});
