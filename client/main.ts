/** Entry point of `npx mcp-client` and `npm run client`. */
import { run } from './cli.ts';
import { keepStdoutForResults } from './progress.ts';

keepStdoutForResults();
const status = await run(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
// Exit once the output is written: an idle keep-alive connection must not hold the console.
process.stdout.write('', () => process.stderr.write('', () => process.exit(status)));
