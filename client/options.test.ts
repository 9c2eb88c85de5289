import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionsError, parseOptions, type ClientOptions } from './options.ts';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseOptions(argv, env) as ClientOptions;

test('the server defaults to MCP_SERVER_URL, else the local stack on its base port', () => {
  assert.deepEqual(parse([]).server, { url: new URL('http://localhost:9000/') });
  assert.deepEqual(parse([], { LOCAL_BASE_PORT: '9100' }).server, { url: new URL('http://localhost:9100/') });
  assert.deepEqual(parse([], { MCP_SERVER_URL: 'https://mcp.demo.example/' }).server, { url: new URL('https://mcp.demo.example/') });
  assert.deepEqual(parse(['--stack', 'dev']).server, { stack: 'dev' });
  assert.throws(() => parse([], { MCP_SERVER_URL: 'mcp.demo.example' }), OptionsError);
});

test('defaults: the prompt, the browser, callback port 8090', () => {
  const o = parse(['https://mcp.demo.example/']);
  assert.deepEqual(o.action, { kind: 'prompt' });
  assert.equal(o.authorize, 'browser');
  assert.equal(o.callbackPort, 8090);
  assert.equal(o.preRegistered, undefined);
});

test('pre-registered credentials come from flags, the secret also from MCP_CLIENT_SECRET', () => {
  assert.deepEqual(parse(['--client-id', 'agent', '--client-secret', 's3']).preRegistered, { clientId: 'agent', clientSecret: 's3' });
  assert.deepEqual(parse(['--client-id', 'agent'], { MCP_CLIENT_SECRET: 'from-env' }).preRegistered, {
    clientId: 'agent',
    clientSecret: 'from-env',
  });
  assert.deepEqual(parse(['--client-id', 'public-agent']).preRegistered, { clientId: 'public-agent', clientSecret: undefined });
  assert.throws(() => parse(['--client-secret', 's3']), /a client secret needs --client-id/);
});

test('contradictions and malformed values are refused, naming the flag', () => {
  assert.throws(() => parse(['--list', '--call', 'echo']), /--list and --call cannot be combined/);
  assert.throws(() => parse(['--stack', 'dev', 'https://mcp.demo.example/']), /either a server URL or --stack/);
  assert.throws(() => parse(['--callback-port', '70000']), /--callback-port must be a port/);
  assert.throws(
    () => parse(['--client-metadata-url', 'https://client.example/']),
    /--client-metadata-url must be an https URL with a path/,
  );
  assert.throws(() => parse(['ftp://x/']), /server URL must be an http\(s\) URL/);
  assert.throws(() => parse(['--frobnicate']), OptionsError);
  assert.equal(parseOptions(['--help'], {}), 'help');
});

test('--token-store and --logout: logout needs the store and runs alone; the callback port remembers whether it was chosen', () => {
  assert.equal(parse(['--token-store', 'tokens.json']).tokenStore, 'tokens.json');
  assert.deepEqual(parse(['--token-store', 'tokens.json', '--logout']).action, { kind: 'logout' });
  assert.throws(() => parse(['--logout']), /--logout needs --token-store FILE/);
  assert.throws(() => parse(['--token-store', 't.json', '--logout', '--list']), /--logout runs alone/);
  assert.equal(parse([]).callbackPortGiven, false);
  assert.deepEqual([parse(['--callback-port', '8090']).callbackPort, parse(['--callback-port', '8090']).callbackPortGiven], [8090, true]);
});
