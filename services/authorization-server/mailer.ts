/**
 * Sends one-time codes by SMTP (nodemailer). The development mail server (maildev) has no
 * authentication and no TLS.
 */
import nodemailer from 'nodemailer';

export interface CodeMailer {
  sendCode(to: string, code: string, validMinutes: number): Promise<void>;
  close(): void;
}

export function createSmtpMailer(smtp: { host: string; port: number; from: string }): CodeMailer {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: false,
    ignoreTLS: true,
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
