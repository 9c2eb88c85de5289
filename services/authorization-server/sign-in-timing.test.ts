/**
 * Whether the email page's answer takes longer for an address that may sign in than for one that
 * may not: it must not, or the timing tells who may sign in. Sending the code mail before
 * answering did that (nodemailer's work before its first network round trip, a few tenths of a
 * millisecond here, about 0.8 ms seen from a client); this test fails on it.
 *
 * Known and unknown addresses are posted in pairs, in a random order within each pair, so that
 * whatever else the machine does falls on both kinds alike; the pairs are compared by the
 * difference of the kinds' lower quartiles with a permutation test (test/support/timing.ts). A
 * difference fails the test only when it is both significant and at least MIN_SHIFT_MS: a busy
 * machine can make a tiny difference significant by chance once in a while, not a large one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emailForm,
  inProcessBrowser,
  registerClient,
  startTestAuthorizationServer,
  type TestAuthorizationServer,
} from '../../test/support/authorization-server.ts';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:net';
import { comparePaired } from '../../test/support/timing.ts';

const SAMPLES = 300;
const WARM_UP = 20;
const SIGNIFICANCE = 0.001;
const MIN_SHIFT_MS = 0.15;
const KNOWN = 'john.doe@demo.example';
const UNKNOWN = 'not.a.user@demo.example';

let as: TestAuthorizationServer;
let clientId: string;

before(async () => {
  // The mailer does its real work up to the connection, which is refused at once: a mail costs this
  // process what a delivered one costs before its first network round trip, without waiting for it.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const plenty = 1_000_000;
  as = await startTestAuthorizationServer({
    smtp: { host: '127.0.0.1', port },
    deps: {
      limits: {
        signInPostsPerMinute: plenty,
        authorizationsPerMinute: plenty,
        codesPerUserPerHour: plenty,
        codesPerUserAndAddressPerHour: plenty,
      },
      mailQueue: { attempts: 1 },
    },
  });
  const registration = await registerClient(as.url, { redirect_uris: ['https://agent.example/cb'], token_endpoint_auth_method: 'none' });
  clientId = registration.body.client_id;
});
after(() => as.close());

/**
 * Milliseconds the server takes to answer the post of `email` on a fresh sign-in's email page.
 * The app is called in this process, so what is timed is the server's work before its answer and
 * nothing of a network's or a client's: the same difference a remote client measures, with less
 * noise around it. Work after the answer (the mail) runs on a later turn of the event loop.
 */
async function timePost(email: string): Promise<number> {
  const agent = inProcessBrowser(as);
  const form = await emailForm(as, agent, clientId);
  const body = new URLSearchParams({ ...form.fields, email });
  const started = performance.now();
  const answer = await agent.request(form.action, { method: 'POST', body });
  const elapsed = performance.now() - started;
  assert.equal(answer.status, 303);
  // The mail (if any) leaves before the next sample, so no sample pays for another's mail.
  await as.server.mailQueue.idle();
  return elapsed;
}

test('the email page answers as fast for an address that may sign in as for one that may not', { timeout: 120_000 }, async (t) => {
  const times = { known: [] as number[], unknown: [] as number[] };
  for (let i = 0; i < WARM_UP + SAMPLES; i++) {
    const order = Math.random() < 0.5 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
    for (const kind of order) {
      const elapsed = await timePost(kind === 'known' ? KNOWN : UNKNOWN);
      if (i >= WARM_UP) times[kind].push(elapsed);
    }
  }
  const { p, shift, a, b } = comparePaired(times.known, times.unknown);
  const summary = `lower quartiles: known ${a.toFixed(3)} ms, unknown ${b.toFixed(3)} ms; known slower by ${shift.toFixed(3)} ms, p = ${p.toExponential(2)}`;
  assert.ok(!(p < SIGNIFICANCE && shift >= MIN_SHIFT_MS), `The answer tells known addresses apart by timing: ${summary}`);
  assert.ok(!(p < SIGNIFICANCE && shift <= -MIN_SHIFT_MS), `The answer tells unknown addresses apart by timing: ${summary}`);
  t.diagnostic(summary);
});
