/**
 * The one-time codes of sign-ins, and what limits guessing them without letting anyone lock a user
 * out. A code has 6 digits, expires, works once, and dies after a few wrong tries; a new code for
 * the same sign-in replaces the last. Wrong codes are also counted per user across sign-ins: past
 * a threshold, every code of that user still outstanding dies at once, so starting sign-ins does
 * not buy more guesses against a live code. None of this refuses a fresh code: what a guesser
 * spends, the user gets back with a new mail. What bounds the guessing instead is how many codes
 * can exist: a few per sign-in, and a cap per user and hour on codes mailed and not used (which
 * also protects the mailbox), tighter per requesting network address so that one address cannot
 * use up the user's allowance. A code used gives its count back: a user who signs in often is
 * never refused, while a guesser, who never has the code, is. Addresses that may not sign in get
 * a code nothing matches and the same counting, so no answer tells them apart.
 */
import { randomInt } from 'node:crypto';
import { tokenHash } from '@mcp-secured-api/contracts';
import { sameText } from './same-text.ts';
import type { SignInTransaction, Store } from './store.ts';

export const CODE_TTL_SECONDS = 300;
/** Wrong tries before a code dies. */
export const MAX_CODE_FAILURES = 5;
export const MAX_CODES_PER_SIGN_IN = 3;
/** Wrong codes for one user, across sign-ins and within USER_FAILURE_WINDOW_SECONDS, before all their outstanding codes die. */
export const MAX_USER_CODE_FAILURES = 10;
export const USER_FAILURE_WINDOW_SECONDS = 900;
/** The window of the caps on codes mailed. */
export const MAIL_WINDOW_SECONDS = 3_600;

/** The rate-limit buckets counting codes mailed per user and address, and per user. */
const FROM_ADDRESS = 'codes-mailed-from';
const TO_USER = 'codes-mailed';

export interface MailCaps {
  /** Codes mailed and not used per user and hour, whoever asks: protects the mailbox and bounds the guessing. */
  codesPerUserPerHour: number;
  /** Codes mailed and not used per user, hour and requesting network address: one address cannot use up the user's allowance. */
  codesPerUserAndAddressPerHour: number;
}

/** Why no code was sent. */
export type Refusal = { refused: 'sign-in-used-up' } | { refused: 'mail-cap'; retryAfterSeconds: number; scope: 'address' | 'user' };

/** What became of a code typed in. */
export type CheckResult =
  /** Right: the code is spent. */
  | 'accepted'
  | 'wrong'
  /** Wrong, and that was the code's last try (or the user's threshold was reached): it died. */
  | 'wrong-and-invalidated'
  | 'expired'
  /** There is no live code: it died earlier (too many wrong tries, here or for this user elsewhere). */
  | 'invalidated';

/** What the code page can offer: a field for the code, a new code, or nothing more in this sign-in. */
export type CodeState = 'enter' | 'code-locked' | 'no-more-codes';

export class OneTimeCodes {
  constructor(
    private readonly users: ReadonlySet<string>,
    private readonly caps: MailCaps,
    private readonly now: () => number,
  ) {}

  /**
   * A new code for the sign-in's address (`txn.email`), replacing its last, unless a limit says no.
   * Returns the code to mail; none for an address that may not sign in (it gets nothing, but is
   * counted alike). `source` is the requesting network address. The caps are counted in `tx`: a
   * refusal thrown there counts nothing.
   */
  async issue(tx: Store, txn: SignInTransaction & { email: string }, source: string): Promise<{ code?: string } | Refusal> {
    if (txn.codesSent >= MAX_CODES_PER_SIGN_IN) return { refused: 'sign-in-used-up' };
    const now = this.now();
    // The address's own cap first: its refusals must not use up the user's allowance.
    const fromAddress = await tx.rateLimits.hit(FROM_ADDRESS, `${source} ${txn.email}`, now, MAIL_WINDOW_SECONDS);
    if (fromAddress.count > this.caps.codesPerUserAndAddressPerHour)
      return { refused: 'mail-cap', scope: 'address', retryAfterSeconds: Math.max(1, fromAddress.resetAt - now) };
    const toUser = await tx.rateLimits.hit(TO_USER, txn.email, now, MAIL_WINDOW_SECONDS);
    if (toUser.count > this.caps.codesPerUserPerHour)
      return { refused: 'mail-cap', scope: 'user', retryAfterSeconds: Math.max(1, toUser.resetAt - now) };

    // The same work whether or not the address may sign in (its code is then thrown away).
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const hash = tokenHash(code);
    const known = this.users.has(txn.email);
    txn.codesSent += 1;
    await tx.oneTimeCodes.put({
      signInId: txn.id,
      email: txn.email,
      codeHash: known ? hash : '',
      requestedBy: source,
      failures: 0,
      usableUntil: now + CODE_TTL_SECONDS,
      expiresAt: txn.expiresAt,
    });
    return known ? { code } : {};
  }

  /** Checks a code typed in for the sign-in; inside the transaction that holds the sign-in. */
  async check(tx: Store, txn: SignInTransaction & { email: string }, entered: string): Promise<CheckResult> {
    const code = await tx.oneTimeCodes.get(txn.id);
    if (!code) return 'invalidated';
    if (code.usableUntil <= this.now()) return 'expired';
    if (code.codeHash && /^\d{6}$/.test(entered) && sameText(tokenHash(entered), code.codeHash)) {
      // Deleting it spends it; false when the user's other sign-ins' wrong codes killed it meanwhile.
      if (!(await tx.oneTimeCodes.delete(txn.id))) return 'invalidated';
      await tx.rateLimits.refund(FROM_ADDRESS, `${code.requestedBy} ${code.email}`);
      await tx.rateLimits.refund(TO_USER, code.email);
      return 'accepted';
    }
    // The user's counter first: it locks the user's row, so concurrent wrong tries for one user
    // take their locks in one order (no deadlock with the invalidation below).
    const forUser = await tx.codeFailures.add(code.email, this.now(), USER_FAILURE_WINDOW_SECONDS);
    if (forUser >= MAX_USER_CODE_FAILURES) {
      await tx.oneTimeCodes.deleteForEmail(code.email);
      await tx.codeFailures.clear(code.email);
      return 'wrong-and-invalidated';
    }
    const failures = await tx.oneTimeCodes.fail(txn.id);
    if (failures === undefined) return 'invalidated';
    if (failures >= MAX_CODE_FAILURES) {
      await tx.oneTimeCodes.delete(txn.id);
      return 'wrong-and-invalidated';
    }
    return 'wrong';
  }

  async state(store: Store, txn: SignInTransaction): Promise<CodeState> {
    if (await store.oneTimeCodes.get(txn.id)) return 'enter';
    return txn.codesSent < MAX_CODES_PER_SIGN_IN ? 'code-locked' : 'no-more-codes';
  }

  /** The sign-in's code, if any, is no longer needed (another address typed in, "not you?"). */
  async forget(tx: Store, txn: SignInTransaction): Promise<void> {
    await tx.oneTimeCodes.delete(txn.id);
  }
}
