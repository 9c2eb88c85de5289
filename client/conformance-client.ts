/**
 * The MCP conformance suite's way into the console client. The suite runs this file with the
 * scenario's server URL as the last argument, the scenario's name in MCP_CONFORMANCE_SCENARIO
 * and, where a scenario needs one, a JSON context (pre-registered credentials, tool calls) in
 * MCP_CONFORMANCE_CONTEXT. It maps them onto what a user would do: the client's own flags,
 * signing in over HTTP, and calling the tool the scenario's server offers, or typing calls at
 * the prompt when a scenario wants several.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { run } from './cli.ts';
import { keepStdoutForResults } from './progress.ts';

/** The metadata-document URL the suite's authorization servers accept as a client id. */
const SUITE_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

/** What to ask of the scenario's server; the auth scenarios' servers offer `test-tool`. */
const ACTIONS: Record<string, string[]> = {
  tools_call: ['--call', 'add_numbers', '--args', '{"a":5,"b":3}'],
  'http-invalid-tool-headers': ['--call', 'valid_tool', '--args', '{"region":"us-east"}'],
  'sse-retry': ['--call', 'test_reconnection'],
  'request-metadata': ['--list'],
  'http-standard-headers': ['--list'],
  'json-schema-ref-no-deref': ['--list'],
};
const DEFAULT_ACTION = ['--call', 'test-tool'];

const contextSchema = z.object({
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  toolCalls: z.array(z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()) })).optional(),
});

keepStdoutForResults();
const context = contextSchema.parse(JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || '{}'));
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
// Several calls are typed at the interactive prompt, one line each.
const typed = context.toolCalls?.map((call) => `call ${call.name} ${JSON.stringify(call.arguments)}\n`);
const argv = [
  ...['--authorize', 'http', '--callback-port', '0'],
  ...['--client-metadata-url', SUITE_CLIENT_METADATA_URL],
  ...(context.client_id ? ['--client-id', context.client_id] : []),
  ...(typed ? [] : (ACTIONS[scenario] ?? DEFAULT_ACTION)),
  ...process.argv.slice(2),
];
const env = { ...process.env, MCP_CLIENT_SECRET: context.client_secret ?? '' };
const stdin = Readable.from(typed ? [...typed, 'quit\n'] : []);
const status = await run(argv, { stdin, stdout: process.stdout, stderr: process.stderr, env });
process.stdout.write('', () => process.exit(status));
