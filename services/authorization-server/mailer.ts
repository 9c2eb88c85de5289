/**
 * Sends one-time codes by SMTP (nodemailer), as a text part and an HTML part: to the test inbox
 * (maildev: no authentication, no TLS) or to a relay, over TLS (STARTTLS or TLS from the start, the
 * relay's certificate verified) and with its credentials. With STARTTLS required, a relay that does
 * not offer it gets nothing. The subject says what the mail is for, never the code (subjects show
 * in notifications and lock screens); the body names the organisation and the application that
 * asked, with what is known of it.
 */
import { html } from 'hono/html';
import nodemailer from 'nodemailer';

export interface CodeMail {
  to: string;
  code: string;
  validMinutes: number;
  /** The application that asked: a verified host for a metadata-document client, else a name it chose itself. */
  client: { name: string; verifiedHost?: string };
}

export interface CodeMailer {
  sendCode(mail: CodeMail): Promise<void>;
  close(): void;
}

export interface SmtpSettings {
  host: string;
  port: number;
  from: string;
  security?: 'none' | 'starttls' | 'tls';
  user?: string;
  password?: string;
}

/** Subject, text and HTML of a code mail. */
export function composeCodeMail(organizationName: string, mail: CodeMail): { subject: string; text: string; html: string } {
  const { code, validMinutes, client } = mail;
  const requester = client.verifiedHost
    ? `${client.name} (verified: ${client.verifiedHost})`
    : `an application that calls itself "${client.name}" (its name is not verified)`;
  const subject = `Your code to sign in to ${organizationName}`;
  const text = [
    `Your code to sign in to ${organizationName}:`,
    '',
    `    ${code}`,
    '',
    `It was requested for ${requester}, which wants to connect to your account.`,
    `Enter it on the sign-in page. It works once and expires in ${validMinutes} minutes.`,
    '',
    'If you did not just try to sign in, ignore this email: nobody can sign in as you without the code.',
    '',
  ].join('\n');
  const body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="color-scheme" content="light dark" />
        <title>${subject}</title>
      </head>
      <body
        style="margin:0;padding:24px;background:#f3f4f6;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1a1d21;"
      >
        <div style="max-width:480px;margin:0 auto;background:#ffffff;border:1px solid #d5d9de;border-radius:12px;padding:24px;">
          <p style="margin:0 0 16px;font-weight:600;">${organizationName}</p>
          <h1 style="margin:0 0 16px;font-size:20px;">Your code to sign in</h1>
          <p style="margin:0 0 16px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:36px;font-weight:700;letter-spacing:8px;">
            ${code}
          </p>
          <p style="margin:0 0 12px;">
            It was requested for
            ${
              client.verifiedHost
                ? html`<strong>${client.name}</strong> (verified: ${client.verifiedHost})`
                : html`an application that calls itself <strong>${client.name}</strong> (its name is not verified)`
            },
            which wants to connect to your account.
          </p>
          <p style="margin:0 0 12px;">Enter it on the sign-in page. It works once and expires in ${validMinutes} minutes.</p>
          <p style="margin:0;color:#4f5863;font-size:14px;">
            If you did not just try to sign in, ignore this email: nobody can sign in as you without the code.
          </p>
        </div>
      </body>
    </html>`;
  return { subject, text, html: body.toString() };
}

export function createSmtpMailer(smtp: SmtpSettings, organizationName: string): CodeMailer {
  const security = smtp.security ?? 'none';
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: security === 'tls',
    requireTLS: security === 'starttls',
    ignoreTLS: security === 'none',
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 10_000,
  });
  return {
    async sendCode(mail) {
      await transport.sendMail({
        from: { name: organizationName, address: smtp.from },
        to: mail.to,
        ...composeCodeMail(organizationName, mail),
      });
    },
    close() {
      transport.close();
    },
  };
}
