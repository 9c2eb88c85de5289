/**
 * Nobody can lock a user out through the local stack. Someone at one network address asks for
 * codes for a user and types wrong ones; the user, at another address, finds the code mailed to
 * them no longer works (too many wrong codes were typed for them), asks for a new one, and signs
 * in with it. The guesser's address, meanwhile, runs out of codes for that user. The two
 * addresses are two loopback addresses, seen by the server through the gateway's X-Forwarded-For.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, fetch as undiciFetch } from 'undici';
import { mailboxSnapshot, pageText, parseForms, readCode, UserAgent, type Page } from '../../infra/local/headless-sign-in.ts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';
import { authorizationRequest, registerPublicClient } from '../support/tokens.ts';

const JOHN = 'john.doe@demo.example';
const REDIRECT = 'http://127.0.0.1:8090/callback';

/** A browser whose connections leave from `address`. */
function browserAt(address: string): UserAgent {
  const dispatcher = new Agent({ localAddress: address });
  return new UserAgent(((url: string, init: RequestInit) =>
    undiciFetch(url, { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as typeof fetch);
}

const formWith = (page: Page, field: string) =>
  parseForms(page.body, page.url).find((f) => field in f.fields || f.buttons.some((b) => b.name === field));

describe('no lock-out through the local stack', { timeout: 180_000 }, () => {
  let stack: TestStack;
  let clientId: string;
  before(async () => {
    stack = await startTestStack();
    clientId = await registerPublicClient(stack.model, REDIRECT);
  });
  after(async () => {
    await stack?.stop();
  });

  const start = () => authorizationRequest(stack.model, { clientId, redirectUri: REDIRECT }).url;
  /** How many mails John has; waits until it is `count` (mails leave after the answer). */
  async function johnsMails(count?: number): Promise<Set<string>> {
    for (let waited = 0; ; waited += 50) {
      const mails = await mailboxSnapshot(stack.info.mail, JOHN);
      if (count === undefined || mails.size >= count) return mails;
      assert.ok(waited < 10_000, `${count} mails to ${JOHN} (${mails.size} arrived)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  test('someone guessing codes from one address cannot keep the user, at another, from signing in', async () => {
    const baseline = (await johnsMails()).size;
    // John asks for a code at 127.0.0.1 and has it in his inbox.
    const john = browserAt('127.0.0.1');
    let page = await john.navigate(start());
    page = await john.submit(formWith(page, 'email')!, { email: JOHN });
    const firstCode = await readCode({ mailApi: stack.info.mail, email: JOHN });
    const codePage = page;

    // Meanwhile, at 127.0.0.2, someone asks for codes for John and types wrong ones, until refused.
    const guesser = browserAt('127.0.0.2');
    const wrong = firstCode === '000000' ? '111111' : '000000';
    let guesses = 0;
    let codes = 0;
    let refused: Page | undefined;
    while (!refused && codes < 10) {
      page = await guesser.navigate(start());
      for (let resend = formWith(page, 'email'); resend && !refused; resend = formWith(page, 'email')) {
        page = await guesser.submit(resend, { email: JOHN });
        if (page.status === 429) refused = page;
        else codes++;
        for (let otp = formWith(page, 'otp'); otp && !refused; otp = formWith(page, 'otp')) {
          page = await guesser.submit(otp, { otp: wrong });
          guesses++;
        }
        if (/used all the codes it may send/.test(pageText(page.body, 5_000))) break;
      }
    }
    assert.ok(refused, 'the guessing address is refused more codes');
    assert.equal(codes, 5, 'five codes per user and hour from one address');
    assert.ok(guesses >= 20, `every code it got was guessed at until it died (${guesses} guesses)`);
    assert.match(pageText(refused.body), /Too many codes were sent to this address in the last hour from your network/);

    // John's code died with the guesses; the page says why and offers a new one, which works.
    await johnsMails(baseline + 1 + codes);
    page = await john.submit(formWith(codePage, 'otp')!, { otp: firstCode });
    assert.match(
      pageText(page.body, 5_000),
      /Too many wrong codes were entered for john\.doe@demo\.example ?, so for your safety the code we sent no longer works/,
    );
    const seen = await johnsMails();
    page = await john.submit(parseForms(page.body, page.url).find((f) => f.fields.email === JOHN)!);
    assert.match(pageText(page.body, 5_000), /we have sent a new 6-digit code/);
    page = await john.submit(formWith(page, 'otp')!, { otp: await readCode({ mailApi: stack.info.mail, email: JOHN, exclude: seen }) });
    const consent = formWith(page, 'decision');
    assert.ok(consent, `the consent page: ${pageText(page.body)}`);
    page = await john.submit(consent, {}, { name: 'decision', value: 'approve' });
    const back = new URL(page.location!);
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
    assert.ok(back.searchParams.get('code'), 'John is signed in: his application gets its code');
  });
});
