/**
 * The one place the benchmark relies on the built-in authorization server's internals: its store.
 * Signing ten thousand people in through the sign-in pages and the mail inbox would take many
 * minutes, so `recordSignIn` leaves in the store what a completed sign-in leaves there (an
 * authorization code bound to the client, redirect URI, PKCE challenge, resource, user and scope),
 * and the caller then redeems the code at the real token endpoint: client authentication, PKCE,
 * issuing and signing run as for any client; only the pages are skipped. Keep it this small:
 * the store is the server's own and changes with it.
 */
import { AUTHORIZATION_CODE_TTL_SECONDS } from '../../services/authorization-server/sign-in.ts';
import { createMemoryStore, type AuthorizationCode, type AuthorizationServerStore } from '../../services/authorization-server/store.ts';

/** What a sign-in that ended with consent leaves behind: the code's binding to client, PKCE, resource and user. */
export type CompletedSignIn = Omit<AuthorizationCode, 'expiresAt'>;

/** A store to give the server (`deps.store`), and how to record a completed sign-in in it. */
export function storeWithSignIns(): {
  store: AuthorizationServerStore;
  recordSignIn(code: string, signIn: CompletedSignIn): Promise<void>;
} {
  const store = createMemoryStore();
  return {
    store,
    recordSignIn: (code, signIn) =>
      store.codes.set(
        code,
        { ...signIn, expiresAt: Math.floor(Date.now() / 1000) + AUTHORIZATION_CODE_TTL_SECONDS },
        AUTHORIZATION_CODE_TTL_SECONDS,
      ),
  };
}
