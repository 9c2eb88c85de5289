/**
 * Sign-in by a one-time code sent by email, then consent: the three steps' routes, with the
 * per-address limit on the forms people post. Only configured users get a code, but every address
 * gets the same pages and the same timing, so the pages never reveal who may sign in. Every form
 * carries the transaction's CSRF token; every POST answers 303 (sign-in-forms.ts). How codes are
 * issued, checked and invalidated, and why nobody can lock a user out, is one-time-codes.ts.
 */
import { Hono } from 'hono';
import { consentRoutes } from './consent.ts';
import type { ServerContext } from './context.ts';
import { OneTimeCodes } from './one-time-codes.ts';
import { pageRateLimit } from './rate-limit.ts';
import { codeRoutes } from './sign-in-code.ts';
import { emailRoutes } from './sign-in-email.ts';
import { SignInForms, type SignInParts } from './sign-in-forms.ts';

export function signInRoutes(ctx: ServerContext): Hono {
  const { config, store, now, limits } = ctx;
  const parts: SignInParts = {
    forms: new SignInForms(config, store, now),
    codes: new OneTimeCodes(
      new Set(config.users.map((u) => u.email)),
      { codesPerUserPerHour: limits.codesPerUserPerHour, codesPerUserAndAddressPerHour: limits.codesPerUserAndAddressPerHour },
      now,
    ),
    url: (path) => `${config.loginOrigin}${path}`,
    limitPosts: pageRateLimit({
      perMinute: limits.signInPostsPerMinute,
      what: 'sign-in attempts',
      trustProxy: config.trustProxy,
      count: ctx.countRequests('sign-in'),
      now,
    }),
  };
  const app = new Hono();
  app.route('/', emailRoutes(ctx, parts));
  app.route('/', codeRoutes(ctx, parts));
  app.route('/', consentRoutes(ctx, parts));
  return app;
}
