/**
 * `npm run demo`: starts the local stack, signs a test user in without a person (the one-time
 * code is read from the mail inbox's API), connects an MCP client, lists the tools, calls
 * `fetch-stock-prices`, prints the result, and stops everything.
 */
import { parseArgs } from 'node:util';
import { connectHeadlessAgent } from './headless-agent.ts';
import { startLocalStack, type LocalStack } from './stack.ts';
import { readStackFile } from './stack-file.ts';

const USAGE = `Usage: npm run demo -- [--stack NAME] [--user EMAIL] [--base-port PORT]

  --stack NAME       read Pulumi.NAME.yaml (default: dev)
  --user EMAIL       the configured user to sign in as (default: the first one)
  --base-port PORT   first port of the layout (default: a free port for each part)`;

const step = (text: string) => console.log(`\n▶ ${text}`);
const detail = (text: string) => console.log(`  ${text}`);

async function main(): Promise<number> {
  const { values: args } = parseArgs({
    options: {
      stack: { type: 'string', default: 'dev' },
      user: { type: 'string' },
      'base-port': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const config = await readStackFile(args.stack!);
  const user = args.user ? config.users.find((u) => u.email === args.user!.toLowerCase()) : config.users[0];
  if (!user) {
    console.error(`${args.user} is not a configured user. Users: ${config.users.map((u) => u.email).join(', ')}`);
    return 1;
  }

  step(`Starting the local stack of "${args.stack}"`);
  let stack: LocalStack | undefined;
  const stop = async () => {
    await stack?.stop();
    stack = undefined;
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    stack = await startLocalStack({ config, basePort: args['base-port'] ? Number(args['base-port']) : 0, progress: detail });
    detail(`MCP server ${stack.info.mcp}/, authorization server ${stack.info.issuer}, mail inbox ${stack.info.mail}/`);

    step(`Connecting an MCP client as ${user.email} (region ${user.region})`);
    const agent = await connectHeadlessAgent({ mcp: `${stack.info.mcp}/`, mail: stack.info.mail, email: user.email, progress: detail });
    try {
      step('Listing the tools');
      for (const tool of await agent.session.listTools()) detail(`${tool.name}: ${tool.description ?? ''}`);

      step('Calling fetch-stock-prices');
      const result = await agent.session.callTool('fetch-stock-prices', {});
      const shown = result.structuredContent ?? result.content;
      console.log(JSON.stringify(shown, null, 2).replace(/^/gm, '  '));
      if (result.isError) {
        console.error('The tool answered with an error.');
        return 1;
      }
    } finally {
      await agent.close();
    }
    step('Done: stopping the stack');
    return 0;
  } catch (err) {
    console.error(`\nThe demo failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await stop();
  }
}

process.exitCode = await main();
