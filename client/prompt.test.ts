/** The interactive prompt, driven through its input stream with the commands a person types. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { authorizer } from './authorize.ts';
import { startCallbackServer, type CallbackServer } from './callback-server.ts';
import { ConsoleOAuthProvider } from './oauth-provider.ts';
import { silent } from './progress.ts';
import { HELP, runPrompt, type ToolSession } from './prompt.ts';
import { McpSession } from './session.ts';
import type { CallToolResult, Tool } from '@modelcontextprotocol/client';
import { silentLogger } from '@mcp-secured-api/contracts';
import { createStockTools } from '../services/mcp-server/tools.ts';
import { capture } from '../test/support/capture.ts';
import { startTestServer, type TestServer } from '../test/support/oauth-mcp-server.ts';

let server: TestServer;
let callback: CallbackServer;
let session: McpSession;
before(async () => {
  server = await startTestServer();
  callback = await startCallbackServer({ port: 0 });
  const provider = new ConsoleOAuthProvider({ callback, authorize: authorizer('http', callback.redirectUrl, silent), progress: silent });
  session = await McpSession.connect({ serverUrl: new URL(server.mcpUrl), provider, progress: silent });
});
after(async () => {
  // Each only if `before` got that far, so that a failed start still closes what it opened.
  await session?.close();
  await callback?.close();
  await server?.close();
});

/** Types `lines` at the prompt and returns what it printed after each command, in order. */
async function type(lines: string[]): Promise<string[]> {
  const output = capture();
  await runPrompt(session, { input: Readable.from([lines.map((l) => `${l}\n`).join('')]), output: output.stream, terminal: false });
  return output.text().split('mcp> ').slice(1);
}

test('help, list and call show the commands, the tools with their schemas, and pretty results', async () => {
  const [help, list, call] = await type(['help', 'list', 'call echo {"text": "hello"}']);
  assert.equal(help?.trim(), HELP);
  assert.match(list ?? '', /^echo\n {2}Returns the text it is given\.\n {2}input schema:\n {4}\{/m);
  assert.match(list ?? '', /"required": \[\n\s+"text"\n\s+\]/);
  assert.match(list ?? '', /^fail\n {2}Always fails\./m);
  assert.equal(call?.trim(), ['Result of "echo":', '  hello', 'Structured content:', '  {', '    "echo": "hello"', '  }'].join('\n'));
});

test('mistakes get a clear message and the prompt carries on', async () => {
  const outputs = await type([
    'call echo {text: 1}',
    'call echo [1]',
    'call echo {"text": 3}',
    'call nope {}',
    'call',
    'frobnicate',
    'call fail',
    '',
    'call echo {"text": "still working"}',
  ]);
  const [badJson, notObject, schema, unknown, missing, command, toolError, empty, recovered] = outputs.map((o) => o.trim());
  assert.match(badJson ?? '', /^The arguments are not valid JSON \(.+\)\. Example: \{"id": "COM1"\}$/);
  assert.equal(notObject, 'The arguments must be a JSON object, such as {"id": "COM1"}.');
  assert.match(schema ?? '', /^The arguments do not match the input schema of "echo": .*text.*\nSchema: \{/);
  assert.equal(unknown, 'Unknown tool "nope". Tools on this server: echo, fail.');
  assert.equal(missing, 'Name the tool to call: call <tool> [json object]. Type "list" to see the tools.');
  assert.equal(command, 'Unknown command "frobnicate". Type "help" for the commands.');
  assert.equal(toolError, 'Tool "fail" reported an error:\n  it failed');
  assert.equal(empty, '');
  assert.match(recovered ?? '', /still working/);
});

test('quit ends the prompt; nothing typed after it runs', async () => {
  // One prompt was shown, and nothing was printed after it.
  assert.deepEqual(await type(['quit', 'list']), ['']);
  assert.deepEqual(await type(['exit', 'help']), ['']);
});

test('the example in the help is a call the stocks MCP server accepts', async () => {
  const example = /e\.g\. (call .+)$/m.exec(HELP)?.[1];
  assert.ok(example, HELP);
  const stock = { id: 'COM1', name: 'Company One', region: 'USA', price: 100 };
  const tools = createStockTools({
    stocks: {
      listStocks: async () => [stock],
      getStock: async (_token, id) => (id === stock.id ? stock : undefined),
      close: async () => {},
    },
    apiTokens: { tokenFor: async () => undefined },
    log: silentLogger,
  });
  const caller = { subject: { token: 't', claims: {} as never } };
  const output = capture();
  const stocks: ToolSession = {
    listTools: async () => tools.list.tools as Tool[],
    callTool: async (name, args) => (await tools.call(name, args, caller)) as CallToolResult,
  };
  await runPrompt(stocks, { input: Readable.from([`${example}\n`]), output: output.stream, terminal: false });
  assert.match(output.text(), /Result of "get-stock-price":\n {2}\{\n {4}"id": "COM1"/);
});
