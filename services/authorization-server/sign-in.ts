/**
 * Sign-in by a one-time code sent by email, then consent. Only configured users get a code, but
 * every address gets the same pages and the same timing, so the pages never reveal who may sign
 * in. Codes have 6 digits, expire, work once, and a few wrong tries lock them; wrong tries are also
 * counted per address across sign-ins, so starting new sign-ins does not buy more guesses. Every form carries
 * the transaction's CSRF token; every POST answers 303. A post changes its sign-in inside one
 * database transaction that locks it, so concurrent posts (to any instance) cannot both spend the
 * same try.
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { OFFLINE_ACCESS } from '@mcp-secured-api/contracts';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { clientRedirect } from './authorize.ts';
import type { ServerContext } from './context.ts';
import { PageError } from './errors.ts';
import { readForm } from './form.ts';
import { clientIdentity, consentView, returnLink } from './page-views.ts';
import { codePage, consentPage, emailPage, type CodeState } from './pages.ts';
import { PAGES } from './paths.ts';
import { pageRateLimit } from './rate-limit.ts';
import { tokenHash, type SignInTransaction, type Store } from './store.ts';
import { clearTransactionCookie, readTransactionCookie } from './transaction-cookie.ts';

export const CODE_TTL_SECONDS = 300;
export const MAX_CODE_FAILURES = 5;
export const MAX_CODES_PER_SIGN_IN = 3;
/** Wrong codes per address, across sign-ins, before the address is locked for a while. */
export const MAX_ADDRESS_CODE_FAILURES = 10;
export const ADDRESS_LOCK_SECONDS = 900;
/** Authorization codes are short-lived (RFC 9700 §4.2). */
export const AUTHORIZATION_CODE_TTL_SECONDS = 60;

const emailSchema = z.email();

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function signInRoutes(ctx: ServerContext): Hono {
  const { config, store, mailer, log, now } = ctx;
  const users = new Set(config.users.map((u) => u.email));
  const app = new Hono();
  const url = (path: string) => `${config.loginOrigin}${path}`;
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

  async function transaction(c: Context): Promise<SignInTransaction> {
    const id = await readTransactionCookie(c, config);
    const txn = id ? await store.signIns.get(id, now()) : undefined;
    if (!txn) throw expired();
    return txn;
  }

  /**
   * Handles a form post: checks its CSRF token, then lets `change` update the sign-in in one
   * transaction that holds it locked; what `change` returns is the answer.
   */
  async function posted<T>(
    c: Context,
    change: (txn: SignInTransaction, form: Record<string, string>, tx: Store) => Promise<T>,
  ): Promise<T> {
    const id = await readTransactionCookie(c, config);
    if (!id) throw expired();
    let form: Record<string, string> | undefined;
    let unreadable: unknown;
    try {
      form = await readForm(c);
    } catch (error) {
      unreadable = error;
    }
    return store.transaction(async (tx) => {
      const txn = await tx.signIns.get(id, now(), true);
      if (!txn) throw expired();
      const back = returnLink(txn.request, config.issuer);
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

  async function showNotice(txn: SignInTransaction): Promise<string | undefined> {
    const notice = txn.notice;
    if (notice) {
      delete txn.notice;
      await store.signIns.save(txn);
    }
    return notice;
  }

  const limitPosts = pageRateLimit({
    perMinute: ctx.limits.signInPostsPerMinute,
    what: 'sign-in attempts',
    trustProxy: config.trustProxy,
    count: ctx.countRequests('sign-in'),
    now,
  });

  app.get(PAGES.email, async (c) => {
    const txn = await transaction(c);
    return c.html(
      emailPage(config, {
        action: url(PAGES.email),
        csrf: txn.csrf,
        clientName: txn.request.clientName,
        email: txn.email,
        error: await showNotice(txn),
        back: returnLink(txn.request, config.issuer),
      }),
    );
  });

  app.post(PAGES.email, limitPosts, async (c) => {
    const sent = await posted(c, async (txn, form, tx) => {
      const email = (form.email ?? '').trim().toLowerCase();
      if (!emailSchema.safeParse(email).success) {
        txn.notice = 'Enter an email address such as name@example.com.';
        await tx.signIns.save(txn);
        return undefined;
      }
      if (txn.codesSent >= MAX_CODES_PER_SIGN_IN) {
        throw new PageError(
          'too_many_codes',
          'This sign-in has sent all the codes it may. Go back to the application and start again.',
          429,
          { title: 'Too many codes requested', back: returnLink(txn.request, config.issuer) },
        );
      }
      txn.codesSent += 1;
      txn.email = email;
      txn.subject = undefined;
      // Unknown addresses get a code that can never match: the same pages, counts and lock-out.
      const code = users.has(email) ? String(randomInt(0, 1_000_000)).padStart(6, '0') : '';
      txn.otp = { code, expiresAt: now() + CODE_TTL_SECONDS, failures: 0 };
      await tx.signIns.save(txn);
      return { email, code, client: clientIdentity(txn.request) };
    });
    if (!sent) return c.redirect(url(PAGES.email), 303);
    if (sent.code) {
      // Sent once the code is stored. Not awaited: answering only after the mail server would tell
      // registered addresses apart by timing.
      mailer
        .sendCode({ to: sent.email, code: sent.code, validMinutes: CODE_TTL_SECONDS / 60, client: sent.client })
        .catch((error: Error) => log.error(`Could not send the sign-in code by email: ${error.message}`));
    }
    return c.redirect(url(PAGES.code), 303);
  });

  app.get(PAGES.code, async (c) => {
    const txn = await transaction(c);
    if (!txn.email) return c.redirect(url(PAGES.email), 303);
    // Once the code cannot succeed, the page offers what can: a new code, or a way back.
    const state: CodeState =
      (await store.codeFailures.count(txn.email, now())) >= MAX_ADDRESS_CODE_FAILURES
        ? 'address-locked'
        : (txn.otp?.failures ?? 0) < MAX_CODE_FAILURES
          ? 'enter'
          : txn.codesSent < MAX_CODES_PER_SIGN_IN
            ? 'code-locked'
            : 'no-more-codes';
    return c.html(
      codePage(config, {
        action: url(PAGES.code),
        csrf: txn.csrf,
        email: txn.email,
        state,
        resendAction: url(PAGES.email),
        emailPage: url(PAGES.email),
        resent: txn.codesSent > 1,
        validMinutes: CODE_TTL_SECONDS / 60,
        lockMinutes: ADDRESS_LOCK_SECONDS / 60,
        error: await showNotice(txn),
        back: returnLink(txn.request, config.issuer),
      }),
    );
  });

  app.post(PAGES.code, limitPosts, async (c) => {
    const next = await posted(c, async (txn, form, tx) => {
      const otp = txn.otp;
      if (!txn.email || !otp) return PAGES.email;
      const entered = (form.otp ?? '').trim();
      if ((await tx.codeFailures.count(txn.email, now())) >= MAX_ADDRESS_CODE_FAILURES) {
        txn.notice = `Too many wrong codes for this address: it is locked for up to ${ADDRESS_LOCK_SECONDS / 60} minutes.`;
      } else if (otp.failures >= MAX_CODE_FAILURES) {
        txn.notice = 'Too many wrong codes: this code is locked. Send a new code.';
      } else if (otp.expiresAt <= now()) {
        txn.notice = 'That code is not valid or has expired. Check the latest email or send a new code.';
      } else if (otp.code && /^\d{6}$/.test(entered) && sameText(entered, otp.code)) {
        txn.subject = txn.email;
        await tx.codeFailures.clear(txn.email);
        delete txn.otp;
        await tx.signIns.save(txn);
        return PAGES.consent;
      } else {
        otp.failures += 1;
        // Unknown addresses are counted too, so the lock reveals nothing.
        await tx.codeFailures.add(txn.email, now(), ADDRESS_LOCK_SECONDS);
        txn.notice =
          otp.failures >= MAX_CODE_FAILURES
            ? 'Too many wrong codes: this code is locked. Send a new code.'
            : 'That code is not valid or has expired. Check the latest email or send a new code.';
      }
      await tx.signIns.save(txn);
      return PAGES.code;
    });
    return c.redirect(url(next), 303);
  });

  app.get(PAGES.consent, async (c) => {
    const txn = await transaction(c);
    if (!txn.subject) return c.redirect(url(PAGES.email), 303);
    return c.html(
      consentPage(
        config,
        consentView({ ...txn, subject: txn.subject }, config, { action: url(PAGES.consent), restartAction: url(PAGES.restart) }),
      ),
    );
  });

  // "Not you?": forget who signed in and the code, keep the request (and its count of codes sent).
  app.post(PAGES.restart, async (c) => {
    await posted(c, async (txn, _form, tx) => {
      txn.subject = undefined;
      txn.email = undefined;
      delete txn.otp;
      delete txn.notice;
      await tx.signIns.save(txn);
    });
    return c.redirect(url(PAGES.email), 303);
  });

  app.post(PAGES.consent, async (c) => {
    const ended = await posted(c, async (txn, form, tx) => {
      if (!txn.subject) return undefined;
      if (form.decision !== 'approve' && form.decision !== 'deny')
        throw new PageError('invalid_request', 'Choose Allow or Deny.', 400, { back: returnLink(txn.request, config.issuer) });
      // One decision per sign-in: the transaction ends here (a second post finds it gone).
      await tx.signIns.delete(txn.id);
      const { request } = txn;
      if (form.decision === 'deny') {
        return clientRedirect(request.redirectUri, config.issuer, {
          error: 'access_denied',
          error_description: 'The user denied access',
          state: request.state,
        });
      }
      const code = randomBytes(32).toString('base64url');
      const usableUntil = now() + AUTHORIZATION_CODE_TTL_SECONDS;
      const consent = {
        clientId: request.clientId,
        redirectUri: request.redirectUri,
        codeChallenge: request.codeChallenge,
        scope: request.scope,
        resource: request.resource,
        subject: txn.subject,
        offlineAccess: request.offlineAccess === true && form[OFFLINE_ACCESS] === 'approve',
      };
      // Kept after its use as long as the tokens it gave live, to revoke them if it is replayed.
      await tx.codes.insert(tokenHash(code), { consent, usableUntil }, usableUntil + config.accessTokenTtlSeconds);
      log.info(`Authorization code issued to client ${request.clientId}`);
      return clientRedirect(request.redirectUri, config.issuer, { code, state: request.state });
    });
    if (!ended) return c.redirect(url(PAGES.email), 303);
    clearTransactionCookie(c, config);
    return c.redirect(ended, 303);
  });

  return app;
}
