/**
 * The one place the benchmark relies on the built-in authorization server's internals: its store.
 * Signing ten thousand people in through the sign-in pages and the mail inbox would take many
 * minutes, so `recordSignIn` leaves in the database what a completed sign-in leaves there (an
 * authorization code bound to the client, redirect URI, PKCE challenge, resource, user and scope),
 * and the caller then redeems the code at the real token endpoint: client authentication, PKCE,
 * issuing and signing run as for any client; only the pages are skipped. Keep it this small:
 * the store is the server's own and changes with it.
 */
import { openDatabase, type Database } from '../../services/authorization-server/database.ts';
import { AUTHORIZATION_CODE_TTL_SECONDS } from '../../services/authorization-server/consent.ts';
import { tokenHash } from '@mcp-secured-api/contracts';
import { createStore, type Consent } from '../../services/authorization-server/store.ts';

/** What a sign-in that ended with consent leaves behind: the code's binding to client, PKCE, resource and user. */
export type CompletedSignIn = Omit<Consent, 'offlineAccess'>;

/**
 * A database to give the server (`deps.database`, an embedded one in memory), and how to record a
 * completed sign-in in it once the server has started (and so made its tables).
 */
export async function databaseWithSignIns(): Promise<{
  database: Database;
  recordSignIn(code: string, signIn: CompletedSignIn): Promise<void>;
}> {
  const database = await openDatabase('memory://');
  const store = createStore(database);
  return {
    database,
    recordSignIn: (code, signIn) => {
      const usableUntil = Math.floor(Date.now() / 1000) + AUTHORIZATION_CODE_TTL_SECONDS;
      return store.codes.insert(tokenHash(code), { consent: { ...signIn, offlineAccess: false }, usableUntil }, usableUntil);
    },
  };
}
