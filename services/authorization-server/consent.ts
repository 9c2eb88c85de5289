/**
 * Step 3 of a sign-in: consent. The user who proved their address allows or denies the request;
 * either way the sign-in ends and the browser goes back to the client's redirect URI. "Not you?"
 * forgets who signed in and starts again at the address.
 */
import { randomBytes } from 'node:crypto';
import { OFFLINE_ACCESS, tokenHash } from '@mcp-secured-api/contracts';
import { Hono } from 'hono';
import { clientRedirect } from './authorize.ts';
import type { ServerContext } from './context.ts';
import { PageError } from './errors.ts';
import { consentView, returnLink } from './page-views.ts';
import { consentPage } from './pages.ts';
import { PAGES } from './paths.ts';
import { consentPagePolicy } from './response-policy.ts';
import type { SignInParts } from './sign-in-forms.ts';
import { clearTransactionCookie } from './transaction-cookie.ts';

/** Authorization codes are short-lived (RFC 9700 §4.2). */
export const AUTHORIZATION_CODE_TTL_SECONDS = 60;

export function consentRoutes(ctx: ServerContext, { forms, codes, url }: SignInParts): Hono {
  const { config, log, now } = ctx;
  const app = new Hono();

  app.get(PAGES.consent, async (c) => {
    const txn = await forms.transaction(c);
    if (!txn.subject) return c.redirect(url(PAGES.email), 303);
    // Its form's answer redirects to the client, which the policy's form-action must allow.
    c.header('Content-Security-Policy', consentPagePolicy(txn.request.redirectUri));
    return c.html(
      consentPage(
        config,
        consentView({ ...txn, subject: txn.subject }, config, { action: url(PAGES.consent), restartAction: url(PAGES.restart) }),
      ),
    );
  });

  // "Not you?": forget who signed in and the code, keep the request (and its count of codes sent).
  app.post(PAGES.restart, async (c) => {
    await forms.posted(c, async (txn, _form, tx) => {
      txn.subject = undefined;
      txn.email = undefined;
      delete txn.notice;
      await codes.forget(tx, txn);
      await tx.signIns.save(txn);
    });
    return c.redirect(url(PAGES.email), 303);
  });

  app.post(PAGES.consent, async (c) => {
    const ended = await forms.posted(c, async (txn, form, tx) => {
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
