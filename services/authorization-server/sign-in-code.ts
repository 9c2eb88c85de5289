/**
 * Step 2 of a sign-in: the one-time code. The page offers what can still succeed: a field while
 * the sign-in has a live code, else a new code, else the way back. What counts as too many wrong
 * codes is one-time-codes.ts's business; the page only reports it.
 */
import { Hono } from 'hono';
import type { ServerContext } from './context.ts';
import { CODE_TTL_SECONDS } from './one-time-codes.ts';
import { returnLink } from './page-views.ts';
import { codePage } from './pages.ts';
import { PAGES } from './paths.ts';
import type { SignInParts } from './sign-in-forms.ts';

const NOT_VALID = 'That code is not valid or has expired. Check the latest email or send a new code.';
const NO_LONGER_WORKS = 'Too many wrong codes: this code no longer works. Send a new code.';

export function codeRoutes(ctx: ServerContext, { forms, codes, url, limitPosts }: SignInParts): Hono {
  const { config, store } = ctx;
  const app = new Hono();

  app.get(PAGES.code, async (c) => {
    const txn = await forms.transaction(c);
    if (!txn.email) return c.redirect(url(PAGES.email), 303);
    return c.html(
      codePage(config, {
        action: url(PAGES.code),
        csrf: txn.csrf,
        email: txn.email,
        state: await codes.state(store, txn),
        resendAction: url(PAGES.email),
        emailPage: url(PAGES.email),
        resent: txn.codesSent > 1,
        validMinutes: CODE_TTL_SECONDS / 60,
        error: await forms.takeNotice(txn),
        back: returnLink(txn.request, config.issuer),
      }),
    );
  });

  app.post(PAGES.code, limitPosts, async (c) => {
    const next = await forms.posted(c, async (txn, form, tx) => {
      const email = txn.email;
      // Signed in already: the code was spent, and a second post of it leads nowhere new.
      if (!email || txn.subject) return PAGES.email;
      const result = await codes.check(tx, { ...txn, email }, (form.otp ?? '').trim());
      if (result === 'accepted') {
        txn.subject = email;
        await tx.signIns.save(txn);
        return PAGES.consent;
      }
      txn.notice = result === 'wrong' || result === 'expired' ? NOT_VALID : NO_LONGER_WORKS;
      await tx.signIns.save(txn);
      return PAGES.code;
    });
    return c.redirect(url(next), 303);
  });

  return app;
}
