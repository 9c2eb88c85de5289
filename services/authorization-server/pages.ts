/**
 * The sign-in, code, consent and error pages. Their form fields are a stable contract for browsers
 * and automation: `email`, `otp`, and buttons `decision=approve|deny`; every form POSTs with a
 * hidden `csrf` field. Every value is escaped by Hono's `html` template. The look comes from one
 * stylesheet served from this origin (`sign-in.css`); the pages carry no inline style or script.
 */
import { html } from 'hono/html';
import { STYLESHEET_URL } from './assets.ts';
import type { CodeState } from './one-time-codes.ts';

export type { CodeState };

type Html = ReturnType<typeof html>;

/** What every page shows: who the user is signing in to. */
export interface Site {
  organizationName: string;
}

/** A way back to the application, ending its request with `access_denied`. */
export interface ReturnLink {
  url: string;
  clientName: string;
}

const nothing = html``;

function layout(site: Site, p: { title: string; step?: number; body: Html; footer?: Html }): Html {
  const initial = [...site.organizationName.trim()][0]?.toUpperCase() ?? '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>${p.title} · ${site.organizationName}</title>
        <link rel="stylesheet" href="${STYLESHEET_URL}" />
      </head>
      <body>
        <header class="site">
          <span class="mark" aria-hidden="true">${initial}</span>
          <span class="org">${site.organizationName}</span>
        </header>
        <main class="card" aria-labelledby="title">
          ${p.step ? html`<p class="step">Step ${p.step} of 3</p>` : nothing}
          <h1 id="title">${p.title}</h1>
          ${p.body}
        </main>
        ${p.footer ? html`<footer>${p.footer}</footer>` : nothing}
      </body>
    </html>`;
}

/** The attributes that tie an input to its hint and, when there is one, its error. */
function described(id: string, error: string | undefined): Html {
  return error ? html`aria-invalid="true" aria-describedby="${id}-error ${id}-hint"` : html`aria-describedby="${id}-hint"`;
}

function fieldError(id: string, error: string | undefined): Html {
  return error ? html`<p class="field-error" id="${id}-error">${error}</p>` : nothing;
}

function hidden(csrf: string): Html {
  return html`<input type="hidden" name="csrf" value="${csrf}" />`;
}

function cancelLink(back: ReturnLink): Html {
  return html`<p><a href="${back.url}">Cancel and go back to ${back.clientName}</a></p>`;
}

export function emailPage(
  site: Site,
  p: { action: string; csrf: string; clientName: string; email?: string; error?: string; back: ReturnLink },
): Html {
  return layout(site, {
    title: `Sign in to ${site.organizationName}`,
    step: 1,
    body: html`<p><strong>${p.clientName}</strong> wants to connect to your account.</p>
      <form method="post" action="${p.action}" novalidate>
        ${hidden(p.csrf)}
        <div class="field">
          <label for="email">Work email address</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="email"
            spellcheck="false"
            autocapitalize="none"
            required
            autofocus
            value="${p.email ?? ''}"
            ${described('email', p.error)}
          />
          ${fieldError('email', p.error)}
          <p class="hint" id="email-hint">We will email you a 6-digit code to prove it is you.</p>
        </div>
        <div class="actions"><button class="button primary" type="submit">Email me a code</button></div>
      </form>
      <div class="more">${cancelLink(p.back)}</div>`,
  });
}

export function codePage(
  site: Site,
  p: {
    action: string;
    csrf: string;
    email: string;
    state: CodeState;
    /** Posting the address here sends a new code to it. */
    resendAction: string;
    /** The page to type another address. */
    emailPage: string;
    /** A new code replaced an earlier one. */
    resent: boolean;
    validMinutes: number;
    error?: string;
    back: ReturnLink;
  },
): Html {
  const resend = (kind: 'primary' | 'secondary') =>
    html`<form method="post" action="${p.resendAction}">
      ${hidden(p.csrf)}
      <input type="hidden" name="email" value="${p.email}" />
      <button class="button ${kind}" type="submit">Send a new code</button>
    </form>`;
  const otherAddress = html`<p>Not the right address? <a href="${p.emailPage}">Use a different email address</a></p>`;

  if (p.state !== 'enter') {
    const explanation = {
      'code-locked': html`<p>
          Too many wrong codes were entered for <strong>${p.email}</strong>, so for your safety the code we sent no longer works.
        </p>
        <p>Send a new code, then enter the new one.</p>`,
      'no-more-codes': html`<p>
          Too many wrong codes were entered for <strong>${p.email}</strong>, so for your safety the code we sent no longer works, and this
          sign-in has used all the codes it may send.
        </p>
        <p>Go back to ${p.back.clientName} and start again.</p>`,
    }[p.state];
    return layout(site, {
      title: 'Too many wrong codes',
      step: 2,
      body: html`<div class="alert error" role="alert">${explanation}</div>
        <div class="actions">
          ${p.state === 'code-locked' ? resend('primary') : html`<a class="button primary" href="${p.back.url}">Back to ${p.back.clientName}</a>`}
        </div>
        <div class="more">${otherAddress}${p.state === 'code-locked' ? cancelLink(p.back) : nothing}</div>`,
    });
  }

  return layout(site, {
    title: 'Check your email',
    step: 2,
    body: html`<p>
        If <strong class="identity">${p.email}</strong> may sign in to ${site.organizationName}, we have sent ${p.resent ? 'a new' : 'a'}
        6-digit code to it. It works once and expires in ${p.validMinutes} minutes.
      </p>
      <form method="post" action="${p.action}" novalidate>
        ${hidden(p.csrf)}
        <div class="field">
          <label for="otp">6-digit code</label>
          <input
            id="otp"
            name="otp"
            class="code"
            type="text"
            inputmode="numeric"
            autocomplete="one-time-code"
            pattern="[0-9]{6}"
            maxlength="6"
            required
            autofocus
            ${described('otp', p.error)}
          />
          ${fieldError('otp', p.error)}
          <p class="hint" id="otp-hint">Only the latest code works.</p>
        </div>
        <div class="actions"><button class="button primary" type="submit">Continue</button></div>
      </form>
      <div class="more">
        <p>No email? Check that <strong class="identity">${p.email}</strong> is the address you meant, and look in your spam folder.</p>
        ${otherAddress}
        <div class="actions">${resend('secondary')}</div>
        ${cancelLink(p.back)}
      </div>`,
  });
}

export interface ConsentView {
  action: string;
  csrf: string;
  /** Posting here forgets who signed in and starts the sign-in again. */
  restartAction: string;
  /** A metadata-document client has a verified host (its `client_id` URL's); a registered client's name is its own claim. */
  client: { name: string; verifiedHost?: string };
  resource: { name: string; host: string };
  permissions: { scope: string; description: string }[];
  /** How long access lasts ("15 minutes"), when the client asked for no offline access. */
  accessLasts?: string;
  /** The client asked for offline access: a line of its own, ticked, which the user may untick (form field `field`). */
  offlineAccess?: { field: string; lifetime: string };
  subject: string;
  /** Where the browser goes after the decision. */
  returnTo: { host: string; thisComputer: boolean };
}

export function consentPage(site: Site, p: ConsentView): Html {
  const identity = p.client.verifiedHost
    ? html`<span class="badge verified">Verified: identified by ${p.client.verifiedHost}</span>`
    : html`<span class="badge unverified">Name self-declared by the application, not verified</span>`;
  return layout(site, {
    title: 'Allow access?',
    step: 3,
    body: html`<p class="request">
        <span class="client">${p.client.name}</span>
        ${identity}
      </p>
      <p>
        It wants to use <strong>${p.resource.name}</strong> (<span class="identity">${p.resource.host}</span>) as you, and will be able to:
      </p>
      <ul class="permissions">
        ${p.permissions.map((x) => html`<li><span>${x.description}</span> <code class="scope">${x.scope}</code></li>`)}
      </ul>
      <ul class="facts">
        ${p.accessLasts ? html`<li>Access lasts ${p.accessLasts}; after that, the application must ask you again.</li>` : nothing}
        <li>
          After you choose, you will be sent to <strong class="identity">${p.returnTo.host}</strong>${
            p.returnTo.thisComputer ? ' (an application on this computer)' : ''
          }.
        </li>
        <li>
          Signed in as <strong class="identity">${p.subject}</strong>.
          <form class="inline-form" method="post" action="${p.restartAction}">
            ${hidden(p.csrf)}<button class="link" type="submit">Not you? Sign in again</button>
          </form>
        </li>
      </ul>
      <form method="post" action="${p.action}">
        ${hidden(p.csrf)}
        ${
          p.offlineAccess
            ? html`<p class="offline-access">
                <label
                  ><input type="checkbox" name="${p.offlineAccess.field}" value="approve" checked /> Also keep this access while you are
                  away: the application may renew it without asking you for up to ${p.offlineAccess.lifetime} after its last use.</label
                >
              </p>`
            : nothing
        }
        <div class="actions">
          <button class="button primary" type="submit" name="decision" value="approve">Allow</button>
          <button class="button secondary" type="submit" name="decision" value="deny">Deny</button>
        </div>
      </form>`,
    footer: html`Allow only if you started this from ${p.client.name} just now.`,
  });
}

export interface ErrorView {
  /** The headline, in plain words. */
  title: string;
  /** What happened and what to do, in plain words. */
  message: string;
  /** The machine-readable error code, shown small with `detail`. */
  code?: string;
  /** The technical detail, for whoever builds or runs the application. */
  detail?: string;
  /** A way back to the application, when its return address is known to be safe. */
  back?: ReturnLink;
}

export function errorPage(site: Site, p: ErrorView): Html {
  const technical = [p.code, p.detail].filter(Boolean).join(': ');
  return layout(site, {
    title: p.title,
    body: html`<p role="alert">${p.message}</p>
      <div class="actions">
        ${
          p.back
            ? html`<a class="button primary" href="${p.back.url}">Back to ${p.back.clientName}</a>`
            : html`<p class="muted">You can close this page and start again from the application.</p>`
        }
      </div>
      ${technical ? html`<p class="technical">Technical detail: ${technical}</p>` : nothing}`,
  });
}
