/**
 * The client's command line, validated once with clear messages. The server URL is a
 * positional argument that may come before or after the flags.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { AUTHORIZE_MODES, type AuthorizeMode } from './authorize.ts';

/** The local stack (`npm start`) serves the MCP origin on its base port. */
const LOCAL_STACK_BASE_PORT = 9000;
export const DEFAULT_CALLBACK_PORT = 8090;

export const USAGE = `Usage: npx mcp-client [options] [server-url]      (or: npm run -s client -- [options] [server-url])

  server-url                   the MCP server; default: $MCP_SERVER_URL, else the local stack
                               at http://localhost:${LOCAL_STACK_BASE_PORT}/ (or at $LOCAL_BASE_PORT)
  --stack NAME                 connect to the deployment of Pulumi.NAME.yaml (https://mcp.<domain>/)
  --list                       print the tools as JSON and exit
  --call TOOL                  call TOOL, print the result as JSON and exit
  --args JSON                  the arguments of --call, a JSON object (default {})
  --authorize MODE             how to reach the sign-in page: browser (default), print (only
                               print the URL) or http (follow it over HTTP, for servers that
                               approve without a person)
  --callback-port PORT         loopback port that receives the sign-in response (default
                               ${DEFAULT_CALLBACK_PORT}, or a free port when that is in use and the client
                               registers dynamically; 0 picks a free port)
  --client-metadata-url URL    identify the client by this Client ID Metadata Document (https)
  --client-id ID               use this pre-registered client instead of registering
  --client-secret SECRET       its secret, for a confidential client (or $MCP_CLIENT_SECRET)
  --token-store FILE           keep the registration and tokens in FILE (mode 0600) for the next
                               run; without it they stay in memory and every run signs in
  --logout                     delete what --token-store FILE keeps for the server, and exit
  -h, --help                   show this help

Without --list or --call, an interactive prompt starts (type "help" there).`;

export type Action = { kind: 'prompt' } | { kind: 'list' } | { kind: 'call'; tool: string; args?: string } | { kind: 'logout' };

export interface ClientOptions {
  /** A URL, or the name of a stack whose deployment to use. */
  server: { url: URL } | { stack: string };
  action: Action;
  authorize: AuthorizeMode;
  callbackPort: number;
  /** The port was chosen with --callback-port (else it is the default, which may give way to a free one). */
  callbackPortGiven: boolean;
  clientMetadataUrl?: string;
  preRegistered?: { clientId: string; clientSecret?: string };
  tokenStore?: string;
}

export class OptionsError extends Error {
  override name = 'OptionsError';
  readonly code = 'ERR_OPTIONS_INVALID';
}

const httpUrl = z.string().refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
  message: 'must be an http(s) URL such as http://localhost:9000/',
});

const schema = z
  .object({
    positionals: z.array(httpUrl).max(1, { message: 'give at most one server URL' }),
    stack: z
      .string()
      .regex(/^[\w.-]+$/, { message: 'must be a stack name such as dev' })
      .optional(),
    list: z.boolean(),
    call: z.string().min(1).optional(),
    args: z.string().optional(),
    authorize: z.enum(AUTHORIZE_MODES, { message: `must be one of ${AUTHORIZE_MODES.join(', ')}` }),
    'callback-port': z.coerce.number().int().min(0).max(65_535, { message: 'must be a port from 0 to 65535' }),
    'client-metadata-url': z
      .string()
      .refine((s) => URL.canParse(s) && new URL(s).protocol === 'https:' && new URL(s).pathname !== '/', {
        message: 'must be an https URL with a path, such as https://client.example/mcp-client.json',
      })
      .optional(),
    'client-id': z.string().min(1).optional(),
    'client-secret': z.string().min(1).optional(),
    'token-store': z.string().min(1).optional(),
    logout: z.boolean(),
  })
  .refine((o) => !(o.list && o.call), { message: '--list and --call cannot be combined', path: ['list'] })
  .refine((o) => !(o.logout && (o.list || o.call)), {
    message: 'runs alone: it cannot be combined with --list or --call',
    path: ['logout'],
  })
  .refine((o) => !o.logout || o['token-store'] !== undefined, {
    message: 'needs --token-store FILE (without it, tokens are kept in memory only and vanish when the client exits)',
    path: ['logout'],
  })
  .refine((o) => o.args === undefined || o.call !== undefined, { message: '--args needs --call <tool>', path: ['args'] })
  .refine((o) => o['client-secret'] === undefined || o['client-id'] !== undefined, {
    message: 'a client secret needs --client-id',
    path: ['client-secret'],
  })
  .refine((o) => !(o.stack && o.positionals.length), { message: 'give either a server URL or --stack, not both', path: ['stack'] });

/** Returns the options, or `'help'`; throws `OptionsError` naming what is wrong. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): ClientOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stack: { type: 'string' },
        list: { type: 'boolean', default: false },
        call: { type: 'string' },
        args: { type: 'string' },
        authorize: { type: 'string', default: 'browser' },
        'callback-port': { type: 'string' },
        'client-metadata-url': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'token-store': { type: 'string' },
        logout: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new OptionsError((err as Error).message);
  }
  if (parsed.values.help) return 'help';
  const secret = parsed.values['client-secret'] ?? (parsed.values['client-id'] ? env.MCP_CLIENT_SECRET || undefined : undefined);
  const result = schema.safeParse({
    ...parsed.values,
    'callback-port': parsed.values['callback-port'] ?? DEFAULT_CALLBACK_PORT,
    'client-secret': secret,
    positionals: parsed.positionals,
  });
  if (!result.success) {
    throw new OptionsError(
      result.error.issues
        .map((issue) => {
          const key = String(issue.path[0] ?? '');
          return key === 'positionals' ? `server URL ${issue.message}` : `--${key} ${issue.message}`;
        })
        .join('\n'),
    );
  }
  const o = result.data;
  const defaultUrl = env.MCP_SERVER_URL || `http://localhost:${env.LOCAL_BASE_PORT || LOCAL_STACK_BASE_PORT}/`;
  if (!o.stack && !o.positionals[0] && !httpUrl.safeParse(defaultUrl).success) {
    throw new OptionsError(`MCP_SERVER_URL must be an http(s) URL; got "${defaultUrl}".`);
  }
  return {
    server: o.stack ? { stack: o.stack } : { url: new URL(o.positionals[0] ?? defaultUrl) },
    action: o.logout
      ? { kind: 'logout' }
      : o.list
        ? { kind: 'list' }
        : o.call
          ? { kind: 'call', tool: o.call, args: o.args }
          : { kind: 'prompt' },
    authorize: o.authorize,
    callbackPort: o['callback-port'],
    callbackPortGiven: parsed.values['callback-port'] !== undefined,
    clientMetadataUrl: o['client-metadata-url'],
    preRegistered: o['client-id'] ? { clientId: o['client-id'], clientSecret: o['client-secret'] } : undefined,
    tokenStore: o['token-store'],
  };
}
