/**
 * An agent that signs a test user in without a person, against the local stack: the console
 * client's OAuth (the MCP SDK's discovery, registration, PKCE and `resource`), with the browser
 * part played by a headless user agent that reads the one-time code from the mail inbox's API.
 * Used by `npm run demo` and the whole-system tests.
 */
import { startCallbackServer } from '../../client/callback-server.ts';
import { ConsoleOAuthProvider } from '../../client/oauth-provider.ts';
import { McpSession } from '../../client/session.ts';
import { signIn } from './headless-sign-in.ts';

export interface HeadlessAgentOptions {
  /** The MCP server's public URL (the MCP resource). */
  mcp: string;
  /** The mail inbox's base URL (its REST API lists mails at /email). */
  mail: string;
  email: string;
  decision?: 'approve' | 'deny';
  progress?: (line: string) => void;
}

export interface HeadlessAgent {
  session: McpSession;
  close(): Promise<void>;
}

/** Connects to the MCP server as `email`, signing in when the server asks. */
export async function connectHeadlessAgent(options: HeadlessAgentOptions): Promise<HeadlessAgent> {
  const progress = options.progress ?? (() => {});
  const callback = await startCallbackServer({ port: 0 });
  try {
    const provider = new ConsoleOAuthProvider({
      callback,
      progress,
      clientName: 'Headless test agent',
      authorize: async (url) => {
        progress(`Signing in ${options.email} headlessly (one-time code from the mail inbox)…`);
        const result = await signIn({ authorizeUrl: url.href, email: options.email, mailApi: options.mail, decision: options.decision });
        // Deliver the authorization response to the client's loopback callback, as a browser would.
        const response = await fetch(result.url, { signal: AbortSignal.timeout(10_000) });
        await response.body?.cancel();
      },
    });
    const session = await McpSession.connect({ serverUrl: new URL(options.mcp), provider, progress });
    return {
      session,
      close: async () => {
        await session.close().catch(() => {});
        await callback.close();
      },
    };
  } catch (err) {
    await callback.close();
    throw err;
  }
}
