/**
 * The console client: connect (signing in when the server asks), then the interactive prompt,
 * or one `--list` / `--call` whose JSON goes to stdout. Progress goes to stderr; any failure
 * gives a non-zero exit status.
 */
import type { Readable, Writable } from 'node:stream';
import { buildModel } from '../infra/model.ts';
import { readStackFile } from '../infra/local/stack-file.ts';
import { authorizer } from './authorize.ts';
import { startCallbackServer, type CallbackServer } from './callback-server.ts';
import { ConsoleOAuthProvider } from './oauth-provider.ts';
import { OptionsError, parseOptions, USAGE, type ClientOptions } from './options.ts';
import { progressTo } from './progress.ts';
import { runPrompt } from './prompt.ts';
import { McpSession } from './session.ts';
import { checkArguments, findTool, parseArguments } from './tools.ts';

export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/** Runs the client; resolves with the exit status. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  let options: ClientOptions | 'help';
  try {
    options = parseOptions(argv, io.env);
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    io.stderr.write(`${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const progress = progressTo(io.stderr);
  const printJson = (value: unknown) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  let callback: CallbackServer | undefined;
  let session: McpSession | undefined;
  try {
    const { action } = options;
    // Bad arguments are reported before anyone is asked to sign in.
    const callArguments = action.kind === 'call' ? parseArguments(action.args) : undefined;
    const serverUrl = await resolveServerUrl(options.server);
    callback = await startCallbackServer({ port: options.callbackPort });
    if (options.preRegistered) progress(`Client: pre-registered as ${options.preRegistered.clientId}`);
    const provider = new ConsoleOAuthProvider({
      callback,
      authorize: authorizer(options.authorize, callback.redirectUrl, progress),
      progress,
      clientMetadataUrl: options.clientMetadataUrl,
      preRegistered: options.preRegistered,
    });
    session = await McpSession.connect({ serverUrl, provider, progress });

    switch (action.kind) {
      case 'list':
        printJson(await session.listTools());
        return 0;
      case 'call': {
        const args = callArguments ?? {};
        checkArguments(findTool(await session.listTools(), action.tool), args);
        const result = await session.callTool(action.tool, args);
        printJson(result);
        if (result.isError) progress(`The tool "${action.tool}" reported an error.`);
        return result.isError ? 1 : 0;
      }
      default:
        await runPrompt(session, { input: io.stdin, output: io.stdout });
        return 0;
    }
  } catch (err) {
    io.stderr.write(`Error: ${describeError(err)}\n`);
    return 1;
  } finally {
    await session?.close().catch(() => {});
    await callback?.close();
  }
}

async function resolveServerUrl(server: ClientOptions['server']): Promise<URL> {
  if ('url' in server) return server.url;
  return new URL(buildModel(await readStackFile(server.stack)).mcpResource);
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (err.message === 'fetch failed' && cause) {
    const hint = cause.code === 'ECONNREFUSED' ? ' Is the server running (npm start for the local stack)?' : '';
    return `could not reach the server (${cause.code ?? cause.message}).${hint}`;
  }
  return err.message;
}
