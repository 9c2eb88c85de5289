import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeCodeMail } from './mailer.ts';

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
