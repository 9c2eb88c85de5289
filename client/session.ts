/**
 * A connection to one MCP server over Streamable HTTP, signing in when the server asks.
 *
 * The client negotiates the protocol revision (`server/discover` for 2026-07-28, else the 2025
 * `initialize` handshake). The SDK's transport runs `auth()` on a 401 (refreshing the access
 * token when it can) and on a 403 `insufficient_scope` (a step-up with the union of the scopes)
 * and stops with `UnauthorizedError` once the user has been sent to sign in. Here that error
 * means: wait for the authorization response, finish the sign-in, and try the same operation
 * again — a bounded number of times, so a server that is never satisfied cannot keep the client
 * signing in forever. An access token about to expire is refreshed before it is used.
 */
import {
  auth,
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type CallToolResult,
  type FetchLike,
  type Tool,
} from '@modelcontextprotocol/client';
import { resendOnReset } from './connection-reset.ts';
import type { ConsoleOAuthProvider } from './oauth-provider.ts';
import type { Progress } from './progress.ts';

/** The session's requests, sent again when a reused connection turns out closed. */
const send = resendOnReset();

export const CLIENT_INFO = { name: 'mcp-secured-api-console-client', version: '0.1.0' };

/** Sign-ins allowed for one request: the first one, then step-ups or re-sign-ins. */
export const MAX_SIGN_INS_PER_REQUEST = 3;

export interface SessionOptions {
  serverUrl: URL;
  provider: ConsoleOAuthProvider;
  progress: Progress;
}

interface Connection {
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** `connect` was tried on it; a failed connection is not reused. */
  used: boolean;
}

export class McpSession {
  private connection: Connection;
  private connected = false;

  private constructor(private readonly options: SessionOptions) {
    this.connection = this.newConnection();
  }

  static async connect(options: SessionOptions): Promise<McpSession> {
    options.progress(`Connecting to ${options.serverUrl.href}`);
    await options.provider.load();
    const session = new McpSession(options);
    try {
      await session.withSignIn(() => session.open());
    } catch (error) {
      await session.close();
      throw error;
    }
    options.progress(`Connected to ${describeServer(session.connection.client)}.`);
    return session;
  }

  async listTools(): Promise<Tool[]> {
    // Without a cursor the SDK walks every page.
    return (await this.withSignIn(() => this.connection.client.listTools())).tools;
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    return this.withSignIn(() => this.connection.client.callTool({ name, arguments: args }));
  }

  async close(): Promise<void> {
    await this.connection.client.close().catch(() => {});
  }

  private async open(): Promise<void> {
    if (this.connection.used) {
      await this.connection.client.close().catch(() => {});
      this.connection = this.newConnection();
    }
    this.connection.used = true;
    await this.connection.client.connect(this.connection.transport);
    this.connected = true;
  }

  private newConnection(): Connection {
    const { serverUrl, provider } = this.options;
    const client = new Client(CLIENT_INFO, { capabilities: {}, versionNegotiation: { mode: 'auto' } });
    // Failures reach the caller through the rejected request; the standalone event stream a
    // server may refuse (405/404) is optional, so transport-level reports are not shown.
    client.onerror = () => {};
    const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider, fetch: this.rediscoverOnRefusal });
    return { client, transport, used: false };
  }

  /**
   * A 401 for a request that carried an access token means the token no longer opens the
   * resource, perhaps because the server now trusts another authorization server: forget the
   * discovery so that `auth()` reads the protected-resource metadata again (SEP-2352). The SDK
   * (2.4.0) leaves this to the host by design ("the SDK does not invoke that scope itself").
   */
  private readonly rediscoverOnRefusal: FetchLike = async (url, init) => {
    const response = await send(url, init);
    if (response.status === 401 && String(url) === this.options.serverUrl.href && new Headers(init?.headers).has('authorization')) {
      this.options.progress('The server refused the access token.');
      await this.options.provider.invalidateCredentials('discovery');
    }
    return response;
  };

  private async withSignIn<T>(operation: () => Promise<T>): Promise<T> {
    const { provider, progress } = this.options;
    provider.limitSignIns(MAX_SIGN_INS_PER_REQUEST);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.refreshIfDue();
        return await operation();
      } catch (error) {
        if (!(error instanceof UnauthorizedError) || attempt >= MAX_SIGN_INS_PER_REQUEST) throw error;
        await this.connection.transport.finishAuth(await provider.waitForAuthorizationResponse());
        if (!this.connected) progress('Reconnecting with the access token…');
      }
    }
  }

  /**
   * Renews an access token that expires soon. The SDK (2.4.0) refreshes only once the server has
   * refused the token (its transport's 401 handling); renewing first saves that failed request.
   */
  private async refreshIfDue(): Promise<void> {
    const { provider, serverUrl } = this.options;
    if (!provider.shouldRefresh()) return;
    // A refused refresh token makes `auth()` start a sign-in instead.
    if ((await auth(provider, { serverUrl, fetchFn: this.rediscoverOnRefusal })) === 'REDIRECT') throw new UnauthorizedError();
  }
}

function describeServer(client: Client): string {
  const info = client.getServerVersion();
  return info ? `${info.name} ${info.version}` : 'the server';
}
