/**
 * A connection to one MCP server over Streamable HTTP, signing in when the server asks.
 *
 * The SDK's transport runs `auth()` on a 401 (and on a 403 `insufficient_scope`, with the scope
 * the server names: step-up) and stops with `UnauthorizedError` once the user has been sent to
 * sign in. Here that error means: wait for the authorization code, finish the sign-in, and try
 * the same operation again — a bounded number of times, so a server that is never satisfied
 * cannot keep the client signing in forever.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ConsoleOAuthProvider } from './oauth-provider.ts';
import type { Progress } from './progress.ts';

export const CLIENT_INFO = { name: 'mcp-secured-api-console-client', version: '0.1.0' };

/** Sign-ins allowed for one request: the first one, then step-ups or re-sign-ins. */
export const MAX_SIGN_INS_PER_REQUEST = 3;

export interface SessionOptions {
  serverUrl: URL;
  provider: ConsoleOAuthProvider;
  progress: Progress;
}

export class McpSession {
  private constructor(
    private readonly options: SessionOptions,
    private readonly client: Client,
    private readonly transport: StreamableHTTPClientTransport,
  ) {}

  static async connect(options: SessionOptions): Promise<McpSession> {
    options.progress(`Connecting to ${options.serverUrl.href}`);
    options.provider.limitSignIns(MAX_SIGN_INS_PER_REQUEST);
    // The provider refuses a sign-in beyond the limit; the loop bound is a second guard.
    for (let attempt = 0; ; attempt++) {
      const { client, transport } = open(options);
      try {
        await client.connect(transport);
        options.progress(`Connected to ${describeServer(client)}.`);
        return new McpSession(options, client, transport);
      } catch (error) {
        await client.close().catch(() => {});
        if (!(error instanceof UnauthorizedError) || attempt >= MAX_SIGN_INS_PER_REQUEST) throw error;
        // The failed connection was never initialised: finish the sign-in, then connect afresh.
        await transport.finishAuth(await options.provider.waitForAuthorizationCode());
        options.progress('Reconnecting with the access token…');
      }
    }
  }

  async listTools(): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.withSignIn(() => this.client.listTools(cursor ? { cursor } : undefined));
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    return (await this.withSignIn(() => this.client.callTool({ name, arguments: args }))) as CallToolResult;
  }

  async close(): Promise<void> {
    await this.transport.terminateSession().catch(() => {});
    await this.client.close();
  }

  private async withSignIn<T>(operation: () => Promise<T>): Promise<T> {
    this.options.provider.limitSignIns(MAX_SIGN_INS_PER_REQUEST);
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (!(error instanceof UnauthorizedError) || attempt >= MAX_SIGN_INS_PER_REQUEST) throw error;
        await this.transport.finishAuth(await this.options.provider.waitForAuthorizationCode());
      }
    }
  }
}

function open(options: SessionOptions): { client: Client; transport: StreamableHTTPClientTransport } {
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  // Failures reach the caller through the rejected request; the standalone event stream a
  // server may refuse (405/404) is optional, so transport-level reports are not shown.
  client.onerror = () => {};
  const transport = new StreamableHTTPClientTransport(options.serverUrl, { authProvider: options.provider });
  return { client, transport };
}

function describeServer(client: Client): string {
  const info = client.getServerVersion();
  return info ? `${info.name} ${info.version}` : 'the server';
}
