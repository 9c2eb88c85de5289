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
import { ConsoleOAuthProvider, redirectUris } from './oauth-provider.ts';
import { OptionsError, parseOptions, USAGE, type ClientOptions } from './options.ts';
import { progressTo, type Progress } from './progress.ts';
import { runPrompt } from './prompt.ts';
import { McpSession } from './session.ts';
import { revokeGrant } from './revocation.ts';
import { fileTokenStore, type TokenStore } from './token-store.ts';
import { checkArguments, findTool, parseArguments } from './tools.ts';

export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Clock, for tests of token expiry. */
  now?: () => number;
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
    const store = options.tokenStore ? fileTokenStore(options.tokenStore, serverUrl.href) : undefined;
    if (action.kind === 'logout' && store) return await logout(serverUrl, store, progress);
    // A kept registration names its redirect URI: use its port again so that it stays valid.
    const keptUri = redirectUris((await store?.load())?.client)?.[0];
    callback = await startCallback(options, progress, keptUri ? Number(new URL(keptUri).port) : undefined);
    if (options.preRegistered) progress(`Client: pre-registered as ${options.preRegistered.clientId}`);
    const provider = new ConsoleOAuthProvider({
      callback,
      authorize: authorizer(options.authorize, callback.redirectUrl, progress),
      progress,
      clientMetadataUrl: options.clientMetadataUrl,
      preRegistered: options.preRegistered,
      store,
      now: io.now,
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

/** Ends the kept grant at the authorization server, then forgets it here. */
async function logout(serverUrl: URL, store: TokenStore, progress: Progress): Promise<number> {
  const kept = await store.load();
  if (!kept) {
    progress(`${store.description} keeps nothing for ${serverUrl.href}.`);
    return 0;
  }
  const outcome = await revokeGrant(serverUrl, kept);
  await store.clear();
  progress(
    'revoked' in outcome
      ? `Signed out of ${serverUrl.href}: the authorization server revoked the ${outcome.revoked}, and the tokens were deleted from ${store.description}.`
      : `Signed out of ${serverUrl.href}: the tokens were deleted from ${store.description}. They were not revoked (${outcome.notRevoked}); they stay valid until they expire.`,
  );
  return 0;
}

/**
 * The loopback callback, on the port given, else the port of a kept registration, else the
 * default. A client that registers dynamically names its redirect URI when it registers, so when
 * that port is taken any free port will do (and it registers again); a metadata document or a
 * pre-registration fixes the redirect URI, and with it the port.
 */
export async function startCallback(options: ClientOptions, progress: Progress, keptPort?: number): Promise<CallbackServer> {
  const port = options.callbackPortGiven ? options.callbackPort : (keptPort ?? options.callbackPort);
  const fixedBy = options.preRegistered
    ? `The pre-registered client's redirect URI names this port: free it, or register http://127.0.0.1:<port>/callback and pass --callback-port <port>.`
    : options.clientMetadataUrl
      ? `The client keeps it, because its metadata document names http://127.0.0.1:${port}/callback: free the port, or publish a document with another port and pass it with --callback-port.`
      : undefined;
  const callback = await startCallbackServer({ port, anyPortIfInUse: !options.callbackPortGiven && !fixedBy, portInUseAdvice: fixedBy });
  if (callback.portInUse !== undefined) {
    progress(`The callback port ${callback.portInUse} is in use; the sign-in response comes back to ${callback.redirectUrl} instead.`);
  }
  return callback;
}

async function resolveServerUrl(server: ClientOptions['server']): Promise<URL> {
  if ('url' in server) return server.url;
  return new URL(buildModel(await readStackFile(server.stack)).mcpResource);
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch's own failure (possibly wrapped by the SDK) carries the system error as its cause.
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) {
    const { code } = cause as NodeJS.ErrnoException;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      const hint = code === 'ECONNREFUSED' ? ' Is the server running (npm start for the local stack)?' : '';
      return `could not reach the server (${code}).${hint}`;
    }
  }
  return err.message;
}
