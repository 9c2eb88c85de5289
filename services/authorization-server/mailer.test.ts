import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { composeCodeMail, createSmtpMailer } from './mailer.ts';

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
  const mailer = createSmtpMailer({ host: '127.0.0.1', port, from: 'no-reply@demo.example', ...settings }, 'Demo Example');
  return mailer
    .sendCode({ to: 'john.doe@demo.example', code: '123456', validMinutes: 10, client: { name: 'Agent' } })
    .finally(() => mailer.close());
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

test('the subject states what the mail is for, never the code', () => {
  const mail = composeCodeMail('Acme', { to: 'a@acme.example', code: '042917', validMinutes: 5, client: { name: 'Agent' } });
  assert.equal(mail.subject, 'Your code to sign in to Acme');
  assert.ok(!mail.subject.includes('042917'));
});

test('text and HTML carry the code, the organisation and the application, saying how much of its name is verified', () => {
  const unverified = composeCodeMail('Acme', { to: 'a@acme.example', code: '042917', validMinutes: 5, client: { name: 'Agent <b>' } });
  for (const part of [unverified.text, unverified.html]) {
    assert.match(part, /042917/);
    assert.match(part, /Acme/);
    assert.match(part, /expires in 5 minutes/);
    assert.match(part, /not verified/);
  }
  assert.match(unverified.text, /calls itself "Agent <b>"/);
  assert.match(unverified.html, /Agent &lt;b&gt;/, 'the name is escaped in HTML');
  assert.equal(/\b(\d{6})\b/.exec(unverified.text)?.[1], '042917', 'the first six-digit number of the text is the code');

  const verified = composeCodeMail('Acme', {
    to: 'a@acme.example',
    code: '042917',
    validMinutes: 5,
    client: { name: 'Agent', verifiedHost: 'agents.example.com' },
  });
  assert.match(verified.text, /Agent \(verified: agents\.example\.com\)/);
  assert.doesNotMatch(verified.text, /not verified/);
});
