import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MailQueue } from './mail-queue.ts';
import type { CodeMail, CodeMailer } from './mailer.ts';
import { AS_PATHS } from '@mcp-secured-api/contracts';
import { emailForm, inProcessBrowser, startTestAuthorizationServer } from '../../test/support/authorization-server.ts';

const mail = (n: number): CodeMail => ({
  to: `user${n}@demo.example`,
  code: String(100_000 + n),
  validMinutes: 5,
  client: { name: 'Agent' },
});

/** A mailer whose sends fail as `outcomes` says, one per call, then succeed. */
function scriptedMailer(outcomes: (Error | 'ok')[] = []) {
  const calls: string[] = [];
  const mailer: CodeMailer & { calls: string[]; closed: boolean } = {
    calls,
    closed: false,
    async sendCode(m) {
      calls.push(m.to);
      const outcome = outcomes.shift() ?? 'ok';
      if (outcome !== 'ok') throw outcome;
    },
    close() {
      mailer.closed = true;
    },
  };
  return mailer;
}

function logger() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(m), error: (m: string) => lines.push(m) } };
}

const smtpError = (message: string, responseCode?: number) => Object.assign(new Error(message), { responseCode });

test('a mail is sent after the answer: the sign-in page answers before the mailer is called', async () => {
  let answered = false;
  const calledAfterAnswer: boolean[] = [];
  const as = await startTestAuthorizationServer({
    deps: {
      mailer: {
        sendCode: async () => void calledAfterAnswer.push(answered),
        close: () => {},
      },
    },
  });
  try {
    const registered = await as.server.app.request(`${as.url}${AS_PATHS.registration}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['https://agent.example/cb'], token_endpoint_auth_method: 'none' }),
    });
    const clientId = ((await registered.json()) as { client_id: string }).client_id;
    const agent = inProcessBrowser(as);
    const form = await emailForm(as, agent, clientId);
    const answer = await agent.request(form.action, {
      method: 'POST',
      body: new URLSearchParams({ ...form.fields, email: 'john.doe@demo.example' }),
    });
    answered = true;
    assert.equal(answer.status, 303);
    await as.server.mailQueue.idle();
    assert.deepEqual(calledAfterAnswer, [true]);
  } finally {
    await as.close();
  }
});

test('a send that may succeed later is tried again after a growing delay; a permanent refusal is not', async () => {
  const { lines, log } = logger();
  const mailer = scriptedMailer([smtpError('connect ECONNREFUSED 127.0.0.1:25'), smtpError('451 Try again later', 451)]);
  const queue = new MailQueue(mailer, log, { retryDelayMs: 5 });
  const started = Date.now();
  queue.enqueue(mail(1));
  await queue.idle();
  assert.deepEqual(mailer.calls, ['user1@demo.example', 'user1@demo.example', 'user1@demo.example'], 'sent at the third try');
  assert.ok(Date.now() - started >= 2.5 + 5, 'after a delay of about 5 ms, then about 10 ms (with jitter)');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /try 1 of 4\), trying again in \d+ ms: connect ECONNREFUSED/);
  assert.match(lines[1]!, /try 2 of 4\), trying again in \d+ ms: 451 Try again later/);

  const refused = scriptedMailer([smtpError('550 5.1.1 <user2@demo.example>: Recipient address rejected', 550)]);
  const second = logger();
  const queue2 = new MailQueue(refused, second.log, { retryDelayMs: 5 });
  queue2.enqueue(mail(2));
  await queue2.idle();
  assert.equal(refused.calls.length, 1, 'not tried again');
  assert.match(second.lines[0]!, /giving up: 550 5\.1\.1 <<recipient>>: Recipient address rejected/);
});

test('a send that keeps failing is given up after the last try; logs never carry the code or the address', async () => {
  const { lines, log } = logger();
  const m = mail(3);
  const failure = () => smtpError(`Timeout while sending ${m.code} to ${m.to}`);
  const mailer = scriptedMailer([failure(), failure(), failure(), failure()]);
  const queue = new MailQueue(mailer, log, { retryDelayMs: 1, attempts: 3 });
  queue.enqueue(m);
  await queue.idle();
  assert.equal(mailer.calls.length, 3);
  assert.match(lines.at(-1)!, /try 3 of 3\), giving up: Timeout while sending <code> to <recipient>/);
  for (const line of lines) {
    assert.ok(!line.includes(m.code), line);
    assert.ok(!line.includes(m.to), line);
  }
});

test('the queue holds a bounded number of mails: beyond it a mail is dropped, and the log says so once per spell', async () => {
  const { lines, log } = logger();
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => (release = resolve));
  const mailer: CodeMailer = { sendCode: () => blocked, close: () => {} };
  const queue = new MailQueue(mailer, log, { maxLength: 3, concurrency: 1 });
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => queue.enqueue(mail(n))),
    [true, true, true, false, false],
  );
  assert.equal(queue.size, 3);
  assert.equal(lines.length, 1, 'one line for the spell, not one per mail');
  assert.match(lines[0]!, /mail queue is full \(3 mails held\)/);
  release();
  await queue.idle();
  assert.equal(queue.enqueue(mail(6)), true);
  assert.match(lines[1]!, /room again; 2 sign-in codes were not sent while it was full/);
  await queue.idle();
  for (const line of lines) assert.doesNotMatch(line, /user\d@|10000\d/);
});

test('closing gives up the mails not sent, says how many, and closes the mailer', async () => {
  const { lines, log } = logger();
  const mailer = scriptedMailer([smtpError('connect ECONNREFUSED')]);
  const queue = new MailQueue(mailer, log, { retryDelayMs: 60_000 });
  queue.enqueue(mail(7));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(queue.size, 1, 'waiting to be tried again');
  queue.close();
  await queue.idle();
  assert.equal(mailer.closed, true);
  assert.match(lines.at(-1)!, /Stopping with 1 sign-in code mails not sent/);
  assert.equal(queue.enqueue(mail(8)), false);
});

test("a new code for a sign-in replaces its last code's mail if that has not left yet", async () => {
  const { log } = logger();
  const mailer = scriptedMailer([smtpError('connect ECONNREFUSED')]);
  const queue = new MailQueue(mailer, log, { retryDelayMs: 50 });
  queue.enqueue(mail(1), 'sign-in-1');
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(queue.size, 1, 'the first code waits to be tried again');
  queue.enqueue(mail(2), 'sign-in-1');
  queue.enqueue(mail(3), 'sign-in-2');
  queue.enqueue(mail(4), 'sign-in-2');
  await queue.idle();
  assert.deepEqual(
    mailer.calls,
    ['user1@demo.example', 'user2@demo.example', 'user4@demo.example'],
    'each sign-in gets its latest code, once',
  );
});
