import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { createSmtpMailer } from './mailer.ts';

interface Relay {
  port: number;
  /** Credentials the relay was offered, and the mails it accepted. */
  logins: string[];
  mails: string[];
  close(): Promise<void>;
}

/** A real SMTP server on an ephemeral loopback port, accepting `user`/`pass` only. */
async function startRelay(options: SMTPServerOptions): Promise<Relay> {
  const logins: string[] = [];
  const mails: string[] = [];
  const server = new SMTPServer({
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      logins.push(`${auth.username}:${auth.password}`);
      if (auth.username === 'mailer' && auth.password === 'relay-password') callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push(Buffer.concat(chunks).toString('utf8'));
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, logins, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const send = (port: number, settings: { security: 'none' | 'starttls' | 'tls'; user?: string; password?: string }) => {
  const mailer = createSmtpMailer({ host: '127.0.0.1', port, from: 'no-reply@demo.example', ...settings });
  return mailer.sendCode('john.doe@demo.example', '123456', 10).finally(() => mailer.close());
};

test('a relay that requires credentials gets them, and the mail', async (t) => {
  const relay = await startRelay({ allowInsecureAuth: true, hideSTARTTLS: true });
  t.after(() => relay.close());
  await send(relay.port, { security: 'none', user: 'mailer', password: 'relay-password' });
  assert.deepEqual(relay.logins, ['mailer:relay-password']);
  assert.equal(relay.mails.length, 1);
  assert.match(relay.mails[0]!, /123456/);
  await assert.rejects(send(relay.port, { security: 'none', user: 'mailer', password: 'wrong' }), /Invalid username or password/);
  assert.equal(relay.mails.length, 1);
});

test('STARTTLS required: a relay that does not offer it gets no password and no mail', async (t) => {
  const relay = await startRelay({ allowInsecureAuth: true, hideSTARTTLS: true });
  t.after(() => relay.close());
  await assert.rejects(send(relay.port, { security: 'starttls', user: 'mailer', password: 'relay-password' }));
  assert.deepEqual(relay.logins, []);
  assert.deepEqual(relay.mails, []);
});

test("TLS verifies the relay's certificate: an untrusted one gets no password and no mail", async (t) => {
  // smtp-server's built-in certificate is self-signed: no trust store accepts it.
  const relay = await startRelay({});
  t.after(() => relay.close());
  await assert.rejects(send(relay.port, { security: 'starttls', user: 'mailer', password: 'relay-password' }), /certificate/i);
  assert.deepEqual(relay.logins, []);
  assert.deepEqual(relay.mails, []);
});
