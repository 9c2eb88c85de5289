/**
 * The client as scripts and people run it, against a test MCP server with its own tiny
 * authorization server: JSON on stdout, progress on stderr, non-zero status on any failure,
 * never a token in either.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startCallback } from './cli.ts';
import { parseOptions, type ClientOptions } from './options.ts';
import { runConsoleClient, SIGN_IN, startConsoleClient } from '../test/support/in-process-client.ts';
import { startTestServer, type TestServer } from '../test/support/oauth-mcp-server.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const exec = promisify(execFile);
// A bound for a hung client, not its expected time (a second or two): the machine may be busy.
const EXEC_TIMEOUT_MS = 120_000;
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const client = (argv: string[], testServer = server) => runConsoleClient(testServer, argv);

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
    assert.match(
      stderr,
      /Error: Sign-in refused\. The response names another issuer than http:\/\/127\.0\.0\.1:\d+, where the sign-in started: possible mix-up attack\./,
    );
    assert.doesNotMatch(stderr, /evil\.example/, 'what the mixed-up response names is not shown');
    assert.equal(mixUp.issuedTokens.length, 0);
  } finally {
    await mixUp.close();
  }
});

test('after the access token expires, the client signs in again instead of failing', async () => {
  let clock = Date.now();
  const running = startConsoleClient(server, [...SIGN_IN, server.mcpUrl], () => clock);
  const signInsBefore = server.authorizationRequests.length;
  await running.command('list', 'Returns the text it is given.');
  // The token's lifetime passes, by the client's clock and the server's.
  clock += 901_000;
  server.expireAccessTokens();
  await running.command('call echo {"text":"still here"}', 'Result of "echo"');
  assert.equal(await running.finish(), 0, running.stderr.text());
  assert.match(running.stdout.text(), /still here/);
  assert.match(running.stderr.text(), /The access token has expired; signing in again\./);
  assert.equal(server.authorizationRequests.length, signInsBefore + 2);
});

test('a token the server refuses before it expires (revoked) leads to a new sign-in', async () => {
  const running = startConsoleClient(server, [...SIGN_IN, server.mcpUrl]);
  const signInsBefore = server.authorizationRequests.length;
  await running.command('list', 'Returns the text it is given.');
  server.expireAccessTokens();
  await running.command('call echo {"text":"again"}', 'Result of "echo"');
  assert.equal(await running.finish(), 0, running.stderr.text());
  assert.match(running.stderr.text(), /The server refused the access token\.\n(.*\n)*Sign in/);
  assert.equal(server.authorizationRequests.length, signInsBefore + 2);
});

test("the README's scripting command prints JSON that parses, and exits with the status of the outcome", async () => {
  // `npx mcp-client` runs the client's bin from this repository (no npm banner on stdout).
  const ok = await exec('npx', ['--no-install', 'mcp-client', ...SIGN_IN, '--list', server.mcpUrl], {
    cwd: ROOT,
    timeout: EXEC_TIMEOUT_MS,
  });
  assert.deepEqual(
    (JSON.parse(ok.stdout) as { name: string }[]).map((tool) => tool.name),
    ['echo', 'fail'],
  );
  await assert.rejects(
    exec('npx', ['--no-install', 'mcp-client', ...SIGN_IN, '--call', 'nope', server.mcpUrl], { cwd: ROOT, timeout: EXEC_TIMEOUT_MS }),
    (err: { code: number; stdout: string; stderr: string }) =>
      err.code === 1 && err.stdout === '' && /Unknown tool "nope"/.test(err.stderr),
  );
});

test('a taken default callback port gives way to a free one for dynamic registration, never for a fixed redirect URI', async (t) => {
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.after(() => busy.close());
  const port = (busy.address() as { port: number }).port;
  const withPort = (argv: string[]) => ({ ...(parseOptions([...argv, server.mcpUrl], {}) as ClientOptions), callbackPort: port });
  const lines: string[] = [];

  const dynamic = await startCallback(withPort([]), (line) => lines.push(line));
  await dynamic.close();
  assert.notEqual(new URL(dynamic.redirectUrl).port, String(port));
  assert.match(
    lines.join('\n'),
    new RegExp(`The callback port ${port} is in use; the sign-in response comes back to http://127\\.0\\.0\\.1:\\d+/callback instead\\.`),
  );

  await assert.rejects(
    startCallback(withPort(['--client-metadata-url', 'https://client.example/mcp-client.json']), () => {}),
    new RegExp(
      `callback port ${port} is in use\\. The client keeps it, because its metadata document names http://127\\.0\\.0\\.1:${port}/callback`,
    ),
  );
  await assert.rejects(
    startCallback(withPort(['--client-id', 'agent']), () => {}),
    /pre-registered client's redirect URI names this port/,
  );
  // A port the user chose is kept too.
  await assert.rejects(
    startCallback({ ...withPort([]), callbackPortGiven: true }, () => {}),
    /in use\. Choose another with --callback-port <port> \(0 picks a free one\)/,
  );
});
