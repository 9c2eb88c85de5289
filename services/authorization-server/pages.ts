/**
 * The sign-in, code and consent pages. Their form fields are a stable contract for browsers and
 * automation: `email`, `otp`, and buttons `decision=approve|deny`; every form POSTs with a hidden
 * `csrf` field. Every value is escaped by Hono's `html` template.
 */
import { html } from 'hono/html';

type Html = ReturnType<typeof html>;

function layout(title: string, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <style>
          body {
            font-family: system-ui, sans-serif;
            max-width: 28rem;
            margin: 3rem auto;
            padding: 0 1rem;
            line-height: 1.5;
          }
          input,
          button {
            font-size: 1rem;
            padding: 0.5rem;
            margin: 0.25rem 0;
          }
          input {
            width: 100%;
            box-sizing: border-box;
          }
          .notice {
            background: #fff4e5;
            border-left: 4px solid #f0a020;
            padding: 0.5rem;
          }
        </style>
      </head>
      <body>
        <h1>${title}</h1>
        ${body}
      </body>
    </html>`;
}

function notice(text: string | undefined): Html | string {
  return text ? html`<p class="notice" role="alert">${text}</p>` : '';
}

export function emailPage(p: { action: string; csrf: string; clientName: string; notice?: string }): Html {
  return layout(
    'Sign in',
    html`<p>
        <strong>${p.clientName}</strong> wants to use your account. Sign in with your work email address; we will send you a one-time code.
      </p>
      ${notice(p.notice)}
      <form method="post" action="${p.action}">
        <input type="hidden" name="csrf" value="${p.csrf}" />
        <label for="email">Email address</label>
        <input id="email" name="email" type="email" autocomplete="email" required autofocus />
        <button type="submit">Send code</button>
      </form>`,
  );
}

export function codePage(p: { action: string; csrf: string; email: string; emailPage: string; notice?: string }): Html {
  return layout(
    'Enter your code',
    html`<p>If <strong>${p.email}</strong> may sign in, we have sent a 6-digit code to it. It expires in a few minutes.</p>
      ${notice(p.notice)}
      <form method="post" action="${p.action}">
        <input type="hidden" name="csrf" value="${p.csrf}" />
        <label for="otp">Code</label>
        <input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus />
        <button type="submit">Continue</button>
      </form>
      <p><a href="${p.emailPage}">Use another address or send a new code</a></p>`,
  );
}

export function consentPage(p: {
  action: string;
  csrf: string;
  clientName: string;
  clientId: string;
  redirectHost: string;
  scopes: { name: string; description: string }[];
  subject: string;
  /** The client asked for offline access: a line of its own, which the user may untick. */
  offlineAccess?: { field: string; lifetime: string };
}): Html {
  return layout(
    'Allow access?',
    html`<p>Signed in as <strong>${p.subject}</strong>.</p>
      <p><strong>${p.clientName}</strong> (client <code>${p.clientId}</code>) asks for:</p>
      <ul>
        ${p.scopes.map((s) => html`<li><code>${s.name}</code>: ${s.description}</li>`)}
      </ul>
      <p>After you decide, you will be sent to <strong>${p.redirectHost}</strong>.</p>
      <form method="post" action="${p.action}">
        <input type="hidden" name="csrf" value="${p.csrf}" />
        ${
          p.offlineAccess
            ? html`<p>
                <label
                  ><input type="checkbox" name="${p.offlineAccess.field}" value="approve" checked /> Also keep this access while you are
                  away: the application may renew it without asking you for up to ${p.offlineAccess.lifetime} after its last use.</label
                >
              </p>`
            : ''
        }
        <button type="submit" name="decision" value="approve">Allow</button>
        <button type="submit" name="decision" value="deny">Deny</button>
      </form>`,
  );
}

export function errorPage(p: { title: string; message: string }): Html {
  return layout(p.title, html`<p role="alert">${p.message}</p>`);
}
