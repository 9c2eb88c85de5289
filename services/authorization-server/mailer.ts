/**
 * Sends one-time codes by SMTP (nodemailer): to the test inbox (maildev: no authentication, no
 * TLS) or to a relay, over TLS (STARTTLS or TLS from the start, the relay's certificate verified)
 * and with its credentials. With STARTTLS required, a relay that does not offer it gets nothing.
 */
import nodemailer from 'nodemailer';

export interface CodeMailer {
  sendCode(to: string, code: string, validMinutes: number): Promise<void>;
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

export function createSmtpMailer(smtp: SmtpSettings): CodeMailer {
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
    async sendCode(to, code, validMinutes) {
      await transport.sendMail({
        from: smtp.from,
        to,
        subject: 'Your sign-in code',
        text: `Your sign-in code is ${code}\n\nIt expires in ${validMinutes} minutes and works once. If you did not try to sign in, ignore this message.\n`,
      });
    },
    close() {
      transport.close();
    },
  };
}
