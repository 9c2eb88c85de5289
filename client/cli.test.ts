/**
 * The client as scripts and people run it, against a test MCP server with its own tiny
 * authorization server: JSON on stdout, progress on stderr, non-zero status on any failure,
 * never a token in either.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { run } from './cli.ts';
import { capture } from '../test/support/capture.ts';
import { startTestServer, type TestServer } from '../test/support/oauth-mcp-server.ts';

const SIGN_IN = ['--authorize', 'http', '--callback-port', '0'];
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

async function client(argv: string[], testServer = server) {
  const stdout = capture();
  const stderr = capture();
  const status = await run(argv, { stdin: Readable.from([]), stdout: stdout.stream, stderr: stderr.stream, env: {} });
  const output = { status, stdout: stdout.text(), stderr: stderr.text() };
  assertNoToken(testServer, output.stdout + output.stderr);
  return output;
}

function assertNoToken(testServer: TestServer, text: string): void {
  for (const token of testServer.issuedTokens) assert.ok(!text.includes(token), 'an access token was shown');
}

test('--list prints the tools as JSON and shows the OAuth steps on stderr, never the token', async () => {
  const before = server.issuedTokens.length;
  const { status, stdout, stderr } = await client([...SIGN_IN, '--list', server.mcpUrl]);
  assert.equal(status, 0, stderr);
  const tools = JSON.parse(stdout) as { name: string; description?: string; inputSchema: { properties?: object } }[];
  assert.deepEqual(
    tools.map((t) => t.name),
    ['echo', 'fail'],
  );
  assert.ok(tools[0]?.inputSchema.properties && 'text' in tools[0].inputSchema.properties);
  assert.match(stderr, /Discovered: resource .*\/mcp is protected by authorization server http:\/\/127\.0\.0\.1/);
  assert.match(stderr, /Client: registered dynamically as /);
  assert.match(stderr, /Sign in \(scope "stocks\/read"\) at:\n {2}http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
  assert.match(stderr, /Signed in: access token received \(scope "stocks\/read", expires in 900 s\)/);
  assert.equal(server.issuedTokens.length, before + 1, 'a token was issued, so the no-token check means something');
});

test('--call prints the result as JSON; the server URL may come before the flags', async () => {
  const { status, stdout, stderr } = await client([server.mcpUrl, ...SIGN_IN, '--call', 'echo', '--args', '{"text":"hi"}']);
  assert.equal(status, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), { content: [{ type: 'text', text: 'hi' }], structuredContent: { echo: 'hi' } });
  const request = server.authorizationRequests.at(-1);
  assert.equal(request?.get('resource'), server.mcpUrl, 'the authorization request names the MCP server as resource');
  assert.equal(request?.get('code_challenge_method'), 'S256');
});

test('every failure of --call gives a non-zero status and a clear message', async () => {
  const signInsBefore = server.authorizationRequests.length;
  const badJson = await client([...SIGN_IN, '--call', 'echo', '--args', '{text:', server.mcpUrl]);
  assert.equal(badJson.status, 1);
  assert.match(badJson.stderr, /The arguments are not valid JSON/);
  assert.equal(server.authorizationRequests.length, signInsBefore, 'bad arguments are refused before anyone signs in');

  const notObject = await client([...SIGN_IN, '--call', 'echo', '--args', '[1]', server.mcpUrl]);
  assert.equal(notObject.status, 1);
  assert.match(notObject.stderr, /must be a JSON object/);

  const unknown = await client([...SIGN_IN, '--call', 'nope', server.mcpUrl]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /Unknown tool "nope"\. Tools on this server: echo, fail\./);

  const schema = await client([...SIGN_IN, '--call', 'echo', '--args', '{"text":3}', server.mcpUrl]);
  assert.equal(schema.status, 1);
  assert.match(schema.stderr, /do not match the input schema of "echo"/);

  const toolError = await client([...SIGN_IN, '--call', 'fail', server.mcpUrl]);
  assert.equal(toolError.status, 1);
  assert.equal(JSON.parse(toolError.stdout).isError, true);
  assert.match(toolError.stderr, /The tool "fail" reported an error/);
});

test('an unreachable server and bad flags are reported with a non-zero status', async () => {
  const down = await startTestServer();
  const url = down.mcpUrl;
  await down.close();
  const unreachable = await client([...SIGN_IN, '--list', url]);
  assert.equal(unreachable.status, 1);
  assert.match(unreachable.stderr, /could not reach the server \(ECONNREFUSED\)/);

  const badFlag = await client(['--list', '--authorize', 'carrier-pigeon', server.mcpUrl]);
  assert.equal(badFlag.status, 2);
  assert.match(badFlag.stderr, /--authorize must be one of browser, print, http/);

  const argsWithoutCall = await client(['--args', '{}', server.mcpUrl]);
  assert.equal(argsWithoutCall.status, 2);
  assert.match(argsWithoutCall.stderr, /--args needs --call <tool>/);

  const insecureCimd = await client(['--client-metadata-url', 'http://client.example/doc.json', server.mcpUrl]);
  assert.equal(insecureCimd.status, 2);
  assert.match(insecureCimd.stderr, /--client-metadata-url must be an https URL/);
});

test('an authorization response from another issuer stops the sign-in', async () => {
  const mixUp = await startTestServer({ responseIssuer: 'https://evil.example' });
  try {
    const { status, stderr } = await client([...SIGN_IN, '--list', mixUp.mcpUrl], mixUp);
    assert.equal(status, 1);
    assert.match(stderr, /Error: .*evil\.example.*possible mix-up attack/);
    assert.equal(mixUp.issuedTokens.length, 0);
  } finally {
    await mixUp.close();
  }
});

test('after the access token expires, the client signs in again instead of failing', async () => {
  const shortLived = await startTestServer({ tokenTtlSeconds: 1 });
  const stdin = new PassThrough();
  const stdout = capture();
  const stderr = capture();
  try {
    const running = run([...SIGN_IN, shortLived.mcpUrl], { stdin, stdout: stdout.stream, stderr: stderr.stream, env: {} });
    stdin.write('list\n');
    await stdout.waitFor('Returns the text it is given.');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    stdin.write('call echo {"text":"still here"}\n');
    await stdout.waitFor('Result of "echo"');
    stdin.end('quit\n');
    assert.equal(await running, 0, stderr.text());
    assert.match(stdout.text(), /still here/);
    assert.match(stderr.text(), /The access token has expired; signing in again\./);
    assert.equal(shortLived.authorizationRequests.length, 2);
    assertNoToken(shortLived, stdout.text() + stderr.text());
  } finally {
    await shortLived.close();
  }
});

test('npm run client exits with the status of the outcome', async () => {
  const main = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');
  const exec = promisify(execFile);
  const ok = await exec(process.execPath, ['--import', 'tsx', main, ...SIGN_IN, '--list', server.mcpUrl], { timeout: 30_000 });
  assert.equal(JSON.parse(ok.stdout).length, 2);
  await assert.rejects(
    exec(process.execPath, ['--import', 'tsx', main, ...SIGN_IN, '--call', 'nope', server.mcpUrl], { timeout: 30_000 }),
    (err: { code: number; stdout: string; stderr: string }) =>
      err.code === 1 && err.stdout === '' && /Unknown tool "nope"/.test(err.stderr),
  );
});
