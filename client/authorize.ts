/**
 * How the client takes the person (or an automated approver) to the authorization URL.
 * The URL is always printed first, so a sign-in never depends on a browser opening.
 */
import type { EventEmitter } from 'node:events';
import open from 'open';
import { resendOnReset } from './connection-reset.ts';
import type { Progress } from './progress.ts';

export const AUTHORIZE_MODES = ['browser', 'print', 'http'] as const;
export type AuthorizeMode = (typeof AUTHORIZE_MODES)[number];

/** Takes the user agent to the authorization URL; the response arrives at the callback server. */
export type Authorizer = (authorizationUrl: URL) => Promise<void>;

const HTTP_FOLLOW_TIMEOUT_MS = 30_000;

/**
 * The authorization URL comes from the server's metadata: anything but a web address could make
 * the system open a local handler (file:, smb:, ms-msdt: …), so it is refused before it is
 * printed, opened or followed.
 */
export function checkAuthorizationUrl(url: URL): void {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(
      `Refusing to open the authorization URL: its scheme "${url.protocol}" is not http or https. ` +
        "The server's authorization metadata is wrong or hostile; check the server URL.",
    );
  }
}

/** Opens a URL with the system's handler (the `open` package); the child reports whether that worked. */
export type UrlOpener = (url: string) => Promise<EventEmitter>;

export function authorizer(mode: AuthorizeMode, redirectUrl: string, progress: Progress, openUrl: UrlOpener = open): Authorizer {
  switch (mode) {
    case 'print':
      return async () => {
        progress('Open the URL above in a browser to sign in; waiting for the sign-in to complete…');
      };
    case 'browser':
      return async (url) => {
        progress('Opening a browser at the URL above; waiting for the sign-in to complete…');
        const failed = (reason: string) =>
          progress(`The browser could not be opened (${reason}): open the URL above in a browser by hand. Still waiting for the sign-in…`);
        try {
          const child = await openUrl(url.href);
          // With no browser (a server, a container, no display) the opener exits with a failure status.
          child.once('error', (err: NodeJS.ErrnoException) => failed(err.code ?? err.message));
          child.once('exit', (status: number | null) => {
            if (status) failed(`the opener exited with status ${status}`);
          });
        } catch (err) {
          failed((err as Error).message);
        }
      };
    case 'http':
      return async (url) => {
        progress('Following the sign-in URL over HTTP…');
        await followOverHttp(url, redirectUrl);
      };
  }
}

const send = resendOnReset();

/**
 * Follows the authorization URL and its redirects over HTTP until they return to the redirect
 * URI, for authorization servers that approve without a person (automation, test suites).
 */
export async function followOverHttp(authorizationUrl: URL, redirectUrl: string): Promise<void> {
  const response = await send(authorizationUrl, { redirect: 'follow', signal: AbortSignal.timeout(HTTP_FOLLOW_TIMEOUT_MS) });
  await response.body?.cancel();
  const ended = new URL(response.url);
  if (`${ended.origin}${ended.pathname}` !== redirectUrl) {
    throw new Error(
      `Following the authorization URL over HTTP ended at ${ended.origin}${ended.pathname} (HTTP ${response.status}) instead of returning to ${redirectUrl}: ` +
        'this authorization server needs a person to sign in. Use --authorize browser or --authorize print.',
    );
  }
  // The callback keeps the reason of a refusal (state, issuer, or the server's error) for the client.
  if (!response.ok) throw new Error(`The client's callback refused the authorization response (HTTP ${response.status}).`);
}
