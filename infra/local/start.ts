/**
 * `npm start`: runs the whole stack on this machine from a stack's configuration file
 * (Pulumi.dev.yaml by default), keeping its data in `.data/<stack>/` between starts, and prints
 * where the data lives, its URLs and test users, and a `ready <json>` line. It stops the stack on
 * Ctrl-C, SIGTERM or SIGHUP, and when npm, having started it, has ended.
 */
import { parseArgs } from 'node:util';
import { protectedResourceMetadataUrl } from '@mcp-secured-api/contracts';
import { DEFAULT_BASE_PORT, startLocalStack, type LocalStack } from './stack.ts';
import { readStackFile } from './stack-file.ts';
import { stackDataFolder } from './data-folder.ts';
import { npmLaunchers, watchLaunchers } from './launchers.ts';

const USAGE = `Usage: npm start -- [--stack NAME] [--base-port PORT] [--fresh] [--quiet]

  --stack NAME       read Pulumi.NAME.yaml (default: dev); data is kept in .data/NAME/
  --base-port PORT   first port of the layout (default: ${DEFAULT_BASE_PORT}, or LOCAL_BASE_PORT)
  --fresh            start with empty data: forget registered clients, tokens and keys
  --quiet            do not print the services' own log lines`;

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        stack: { type: 'string', default: 'dev' },
        'base-port': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        fresh: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const basePortText = args['base-port'] ?? process.env.LOCAL_BASE_PORT ?? String(DEFAULT_BASE_PORT);
  const basePort = Number(basePortText);
  if (!Number.isInteger(basePort) || basePort < 1024 || basePort > 65_000) {
    fail(`The base port must be a whole number from 1024 to 65000; got "${basePortText}".`);
  }

  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(args.stack!)) fail(`"${args.stack}" is not a stack name (letters, digits, ".", "_" and "-").`);
  const config = await readStackFile(args.stack!).catch((err: Error) => fail(err.message));
  console.log(`Starting the local stack of "${args.stack}" (domain ${config.domain}, built-in authorization server)…`);
  const quiet = args.quiet;
  let stack: LocalStack | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await stack?.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
  // Whoever read our output may have gone with npm: stopping the stack must not fail on that.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  watchLaunchers(npmLaunchers(), (pid) => void shutdown(`npm (or its shell, process ${pid}) has ended`));

  try {
    stack = await startLocalStack({
      config,
      basePort,
      dataDir: stackDataFolder(args.stack!),
      fresh: args.fresh,
      log: quiet ? undefined : (part, line) => console.log(`[${part}] ${line}`),
      progress: (message) => console.log(`  ✓ ${message}`),
    });
  } catch (err) {
    fail(`The local stack did not start.\n${(err as Error).message}`);
  }
  if (stopping) return;
  printSummary(stack);
}

function printSummary(stack: LocalStack): void {
  const { info, model } = stack;
  const rows: [string, string][] = [
    ['MCP server (connect agents here)', `${info.mcp}/`],
    ['Protected-resource metadata', protectedResourceMetadataUrl(`${info.mcp}/`).href],
    ['Stocks API', `${info.api}/stocks`],
    ['Authorization server metadata', model.endpoints.metadata],
    ['Dynamic client registration', model.endpoints.registration],
    ['Mail inbox (one-time codes)', `${info.mail}/`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('\nThe stack is ready.\n');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log('\nUsers who may sign in (the one-time code arrives in the mail inbox):\n');
  for (const u of stack.users) console.log(`  ${u.email.padEnd(width)}  region ${u.region}`);
  console.log(`\nConnect a client: npx mcp-client ${info.mcp}/\nStop with Ctrl-C.\n`);
  console.log(`ready ${JSON.stringify(info)}`);
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

await main();
