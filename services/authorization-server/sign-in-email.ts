/**
 * Step 1 of a sign-in: the email address. Posting it (from this page, or "Send a new code" on the
 * code page) issues a code within the limits of one-time-codes.ts and hands the mail to the queue
 * after the answer is decided, so the answer takes as long whether or not the address may sign in.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { ServerContext } from './context.ts';
import { PageError } from './errors.ts';
import { CODE_TTL_SECONDS, type Refusal } from './one-time-codes.ts';
import { clientIdentity, duration, returnLink } from './page-views.ts';
import { emailPage } from './pages.ts';
import { PAGES } from './paths.ts';
import { clientAddress } from './rate-limit.ts';
import type { SignInParts } from './sign-in-forms.ts';
import type { SignInTransaction } from './store.ts';

const emailSchema = z.email();

function refusalPage(refusal: Refusal, txn: SignInTransaction, issuer: string): PageError {
  const back = returnLink(txn.request, issuer);
  if (refusal.refused === 'sign-in-used-up') {
    return new PageError('too_many_codes', 'This sign-in has sent all the codes it may. Go back to the application and start again.', 429, {
      title: 'Too many codes requested',
      back,
    });
  }
  const wait = duration(Math.ceil(refusal.retryAfterSeconds / 60) * 60);
  return new PageError(
    'too_many_codes',
    `Too many codes were sent to this address in the last hour${refusal.scope === 'address' ? ' from your network' : ''}. Wait ${wait}, then try again.`,
    429,
    {
      title: 'Too many codes requested',
      detail: refusal.scope === 'address' ? 'codes mailed to this address from this network address' : 'codes mailed to this address',
      back,
      headers: { 'Retry-After': String(refusal.retryAfterSeconds) },
    },
  );
}

export function emailRoutes(ctx: ServerContext, { forms, codes, url, limitPosts }: SignInParts): Hono {
  const { config, mailQueue } = ctx;
  const app = new Hono();

  app.get(PAGES.email, async (c) => {
    const txn = await forms.transaction(c);
    return c.html(
      emailPage(config, {
        action: url(PAGES.email),
        csrf: txn.csrf,
        clientName: txn.request.clientName,
        email: txn.email,
        error: await forms.takeNotice(txn),
        back: returnLink(txn.request, config.issuer),
      }),
    );
  });

  app.post(PAGES.email, limitPosts, async (c) => {
    const source = clientAddress(c, config.trustProxy);
    const sent = await forms.posted(c, async (txn, form, tx) => {
      const email = (form.email ?? '').trim().toLowerCase();
      if (!emailSchema.safeParse(email).success) {
        txn.notice = 'Enter an email address such as name@example.com.';
        await tx.signIns.save(txn);
        return undefined;
      }
      const asked = { ...txn, email, subject: undefined };
      const issued = await codes.issue(tx, asked, source);
      if ('refused' in issued) throw refusalPage(issued, txn, config.issuer);
      await tx.signIns.save(asked);
      return { email, code: issued.code, client: clientIdentity(txn.request), signIn: txn.id };
    });
    if (!sent) return c.redirect(url(PAGES.email), 303);
    // Queued only once the code is stored; sent after the answer, in place of the sign-in's last
    // code if that has not left yet (see mail-queue.ts).
    if (sent.code)
      mailQueue.enqueue({ to: sent.email, code: sent.code, validMinutes: CODE_TTL_SECONDS / 60, client: sent.client }, sent.signIn);
    return c.redirect(url(PAGES.code), 303);
  });

  return app;
}
