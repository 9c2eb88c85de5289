/**
 * How the client takes the person (or an automated approver) to the authorization URL.
 * The URL is always printed first, so a sign-in never depends on a browser opening.
 */
import open from 'open';
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

export function authorizer(mode: AuthorizeMode, redirectUrl: string, progress: Progress): Authorizer {
  switch (mode) {
    case 'print':
      return async () => {
        progress('Open the URL above in a browser to sign in; waiting for the sign-in to complete…');
      };
    case 'browser':
      return async (url) => {
        progress('Opening the browser; waiting for the sign-in to complete…');
        try {
          const child = await open(url.href);
          child.once('error', () => progress('Could not open a browser: open the URL above yourself.'));
        } catch {
          progress('Could not open a browser: open the URL above yourself.');
        }
      };
    case 'http':
      return async (url) => {
        progress('Following the sign-in URL over HTTP…');
        await followOverHttp(url, redirectUrl);
      };
  }
}

/**
 * Follows the authorization URL and its redirects over HTTP until they return to the redirect
 * URI, for authorization servers that approve without a person (automation, test suites).
 */
export async function followOverHttp(authorizationUrl: URL, redirectUrl: string): Promise<void> {
  const response = await fetch(authorizationUrl, { redirect: 'follow', signal: AbortSignal.timeout(HTTP_FOLLOW_TIMEOUT_MS) });
  const body = (await response.text()).slice(0, 300);
  const ended = new URL(response.url);
  if (`${ended.origin}${ended.pathname}` !== redirectUrl) {
    throw new Error(
      `Following the authorization URL over HTTP ended at ${ended.origin}${ended.pathname} (HTTP ${response.status}) instead of returning to ${redirectUrl}: ` +
        'this authorization server needs a person to sign in. Use --authorize browser or --authorize print.',
    );
  }
  // The callback page says why it refused the response (state, issuer, or the server's error).
  if (!response.ok) throw new Error(body.trim());
}
