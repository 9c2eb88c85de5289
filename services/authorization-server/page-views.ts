/**
 * What the pages tell a user about a sign-in, from its transaction and the configuration: who the
 * application is and how much of that is verified, what it will be able to do, and where the
 * browser goes next.
 */
import { OFFLINE_ACCESS } from '@mcp-secured-api/contracts';
import { clientRedirect } from './authorize.ts';
import { isClientIdUrl } from './client-metadata-document.ts';
import type { AuthorizationServerConfig } from './config.ts';
import type { ConsentView, ReturnLink } from './pages.ts';
import { isLoopbackHost } from './redirect-uri.ts';
import type { SignInTransaction } from './store.ts';

export { OFFLINE_ACCESS };

type Request = SignInTransaction['request'];

/**
 * A metadata-document client is named by an https URL whose document the server fetched: its host
 * is verified. A registered client's name is whatever it sent at registration.
 */
export function clientIdentity(request: Pick<Request, 'clientId' | 'clientName'>): { name: string; verifiedHost?: string } {
  return isClientIdUrl(request.clientId)
    ? { name: request.clientName, verifiedHost: new URL(request.clientId).host }
    : { name: request.clientName };
}

/** Back to the application with `access_denied`: its redirect URI was verified when the sign-in began. */
export function returnLink(request: Request, issuer: string): ReturnLink {
  return {
    url: clientRedirect(request.redirectUri, issuer, {
      error: 'access_denied',
      error_description: 'The user cancelled the sign-in',
      state: request.state,
    }),
    clientName: request.clientName,
  };
}

/** Each requested permission once, in plain words. */
export function describeScopes(scope: string, config: Pick<AuthorizationServerConfig, 'scope' | 'scopeDescription'>) {
  return [...new Set(scope.split(' ').filter(Boolean))].map((name) => ({
    scope: name,
    description:
      name === config.scope
        ? config.scopeDescription
        : name === OFFLINE_ACCESS
          ? 'Keep access while you are away, until you revoke it'
          : name,
  }));
}

export function consentView(
  txn: SignInTransaction & { subject: string },
  config: AuthorizationServerConfig,
  urls: { action: string; restartAction: string },
): ConsentView {
  const { request } = txn;
  const redirect = new URL(request.redirectUri);
  const resource = new URL(request.resource);
  const permissions = describeScopes(request.scope, config);
  return {
    ...urls,
    csrf: txn.csrf,
    client: clientIdentity(request),
    resource: { name: config.resourceName, host: resource.host },
    permissions,
    // Offline access is its own line, which the user may untick; otherwise access ends with the token.
    accessLasts: request.offlineAccess ? undefined : duration(config.accessTokenTtlSeconds),
    ...(request.offlineAccess && { offlineAccess: { field: OFFLINE_ACCESS, lifetime: duration(config.refreshTokenTtlSeconds) } }),
    subject: txn.subject,
    returnTo: { host: redirect.host, thisComputer: isLoopbackHost(redirect.hostname) },
  };
}

/** A lifetime in words: "15 minutes", "1 hour", "30 seconds". */
export function duration(seconds: number): string {
  const [amount, unit] =
    seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : seconds >= 60 ? [Math.round(seconds / 60), 'minute'] : [seconds, 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}
