/**
 * How the sign-in pages find their transaction and accept a form: the transaction comes from the
 * browser's signed cookie; a post must carry the transaction's CSRF token, and changes the
 * transaction inside one database transaction that holds it locked, so concurrent posts (to any
 * instance) cannot both spend the same try.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AuthorizationServerConfig } from './config.ts';
import { PageError } from './errors.ts';
import { readForm } from './form.ts';
import type { OneTimeCodes } from './one-time-codes.ts';
import { returnLink } from './page-views.ts';
import { sameText } from './same-text.ts';
import type { SignInTransaction, Store } from './store.ts';
import { readTransactionCookie } from './transaction-cookie.ts';

const expired = () =>
  new PageError(
    'session_expired',
    'This sign-in has expired or was not started in this browser. Go back to the application and start again.',
    400,
    {
      title: 'This sign-in has expired',
      detail: 'no sign-in in progress for this browser (its cookie is missing, expired or not ours)',
    },
  );

export class SignInForms {
  constructor(
    private readonly config: AuthorizationServerConfig,
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** The browser's sign-in, for a page to show. */
  async transaction(c: Context): Promise<SignInTransaction> {
    const id = await readTransactionCookie(c, this.config);
    const txn = id ? await this.store.signIns.get(id, this.now()) : undefined;
    if (!txn) throw expired();
    return txn;
  }

  /**
   * Handles a form post: checks its CSRF token, then lets `change` update the sign-in in one
   * transaction that holds it locked; what `change` returns is the answer.
   */
  async posted<T>(c: Context, change: (txn: SignInTransaction, form: Record<string, string>, tx: Store) => Promise<T>): Promise<T> {
    const id = await readTransactionCookie(c, this.config);
    if (!id) throw expired();
    let form: Record<string, string> | undefined;
    let unreadable: unknown;
    try {
      form = await readForm(c);
    } catch (error) {
      unreadable = error;
    }
    return this.store.transaction(async (tx) => {
      const txn = await tx.signIns.get(id, this.now(), true);
      if (!txn) throw expired();
      const back = returnLink(txn.request, this.config.issuer);
      if (!form) {
        throw new PageError('invalid_request', 'The form could not be read. Go back, reload the page and try again.', 400, {
          detail: unreadable instanceof Error ? unreadable.message : undefined,
          back,
        });
      }
      if (!form.csrf || !sameText(form.csrf, txn.csrf)) {
        throw new PageError('csrf', 'The form was not sent from this sign-in page. Go back, reload the page and try again.', 403, {
          title: 'This form cannot be used',
          detail: "the form's CSRF token is missing or wrong",
          back,
        });
      }
      return change(txn, form, tx);
    });
  }

  /** The message a post left for the next page, shown once. */
  async takeNotice(txn: SignInTransaction): Promise<string | undefined> {
    const notice = txn.notice;
    if (notice) {
      delete txn.notice;
      await this.store.signIns.save(txn);
    }
    return notice;
  }
}

/** What the sign-in steps share. */
export interface SignInParts {
  forms: SignInForms;
  codes: OneTimeCodes;
  /** A page's URL on the login origin. */
  url(path: string): string;
  /** The per-address limit on the forms people post (address and code). */
  limitPosts: MiddlewareHandler;
}
