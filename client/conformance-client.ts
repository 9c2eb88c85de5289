/**
 * The MCP conformance suite's way into the console client. The suite runs this file with the
 * scenario's server URL as the last argument, the scenario's name in MCP_CONFORMANCE_SCENARIO
 * and, where a scenario needs one, a JSON context (pre-registered credentials) in
 * MCP_CONFORMANCE_CONTEXT. It maps them onto the client's own flags: every scenario is the
 * client as a user would run it, signing in over HTTP and calling the scenario's tool.
 */
import { z } from 'zod';
import { run } from './cli.ts';

/** The metadata-document URL the suite's authorization servers accept as a client id. */
const SUITE_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';
const SUITE_TOOL = 'test-tool';

const contextSchema = z.object({ client_id: z.string().optional(), client_secret: z.string().optional() });

const context = contextSchema.parse(JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || '{}'));
const argv = [
  ...['--authorize', 'http', '--callback-port', '0'],
  ...['--client-metadata-url', SUITE_CLIENT_METADATA_URL],
  ...(context.client_id ? ['--client-id', context.client_id] : []),
  ...['--call', SUITE_TOOL],
  ...process.argv.slice(2),
];
const env = { ...process.env, MCP_CLIENT_SECRET: context.client_secret ?? '' };
const status = await run(argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env });
process.stdout.write('', () => process.exit(status));
