import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PAGES } from './paths.ts';
import { startMaildev, type Maildev } from '../../test/support/maildev.ts';
import {
  codeRequest,
  inProcessBrowser,
  registerClient,
  startTestAuthorizationServer,
  TEST_SCOPE,
  type TestAuthorizationServer,
} from '../../test/support/authorization-server.ts';
import {
  expectForm,
  mailboxSnapshot,
  pageText,
  parseForms,
  readCode,
  signIn,
  UserAgent,
  type Page,
} from '../../infra/local/headless-sign-in.ts';

let mail: Maildev;
let as: TestAuthorizationServer;
let clientId: string;
const KNOWN = 'john.doe@demo.example';

before(async () => {
  mail = await startMaildev();
  as = await startTestAuthorizationServer({ smtp: mail.smtp, deps: { limits: { signInPostsPerMinute: 1_000 } } });
  const registration = await registerClient(as.url, {
    client_name: 'Stock Agent',
    redirect_uris: ['https://agent.example/cb'],
    token_endpoint_auth_method: 'none',
  });
  clientId = registration.body.client_id;
});
after(async () => {
  await as?.close();
  await mail?.close();
});

const start = () => codeRequest(as.url, clientId, 'https://agent.example/cb', { state: 's1' }).url;

const form = (page: Page, field: string) => expectForm(page, field, 'Sign-in step');

/** The mails `email` has, once every mail the server queued has left (mails are sent after the answer). */
async function settledMailbox(email: string) {
  await as.server.mailQueue.idle();
  return mailboxSnapshot(mail.apiUrl, email);
}

/** A browser whose requests reach the server from the network address `address`. */
function browserAt(address: string): UserAgent {
  return inProcessBrowser(as, address);
}

/** Opens the authorization, posts the email; returns the agent on the code page. */
async function toCodePage(email: string, agent = new UserAgent()) {
  const signInPage = await agent.navigate(start());
  const emailForm = form(signInPage, 'email');
  assert.ok(emailForm.fields.csrf, 'the form carries a CSRF token');
  const posted = await agent.request(emailForm.action, { method: 'POST', body: new URLSearchParams({ ...emailForm.fields, email }) });
  if (posted.status !== 303) return { agent, codePage: posted, csrf: emailForm.fields.csrf! };
  const codePage = await agent.navigate(posted.location!);
  return { agent, codePage, csrf: emailForm.fields.csrf! };
}

/** Posts a code to the code endpoint whatever the page shows, as an attacker would. */
async function postCode(agent: UserAgent, csrf: string, otp: string): Promise<Page> {
  const posted = await agent.request(`${as.url}${PAGES.code}`, { method: 'POST', body: new URLSearchParams({ csrf, otp }) });
  assert.equal(posted.status, 303);
  return agent.navigate(posted.location!);
}

async function enter(agent: UserAgent, page: Page, otp: string): Promise<Page> {
  const otpForm = form(page, 'otp');
  const posted = await agent.request(otpForm.action, { method: 'POST', body: new URLSearchParams({ ...otpForm.fields, otp }) });
  assert.equal(posted.status, 303);
  return agent.navigate(posted.location!);
}

test('an unknown address sees the same pages as a known one and gets no mail; no code works for it', async () => {
  const unknown = 'nobody@demo.example';
  const before = await settledMailbox(unknown);
  const a = await toCodePage(unknown);
  const b = await toCodePage(KNOWN);
  const text = (p: Page, email: string) => pageText(p.body, 5_000).replaceAll(email, '<email>');
  assert.equal(text(a.codePage, unknown), text(b.codePage, KNOWN));
  await readCode({ mailApi: mail.apiUrl, email: KNOWN, timeoutMs: 3_000 });
  assert.equal((await settledMailbox(unknown)).size, before.size, 'no mail to an unknown address');
  const after = await enter(a.agent, a.codePage, '123456');
  assert.ok(form(after, 'otp'), 'still on the code page');
  assert.match(pageText(after.body), /not valid or has expired/);
});

test('a wrong code is refused; the right one then leads to consent naming client, redirect host and scope', async () => {
  const seen = await settledMailbox(KNOWN);
  const { agent, codePage } = await toCodePage(KNOWN);
  const code = await readCode({ mailApi: mail.apiUrl, email: KNOWN, exclude: seen });
  const wrong = await enter(agent, codePage, code === '000000' ? '111111' : '000000');
  assert.match(pageText(wrong.body), /not valid or has expired/);
  const consent = await enter(agent, wrong, code);
  const consentForm = form(consent, 'decision');
  assert.deepEqual(consentForm.buttons.map((b) => b.value).sort(), ['approve', 'deny']);
  const text = pageText(consent.body, 5_000);
  assert.match(text, /Demo Example/, 'the organisation');
  assert.match(text, /Stock Agent Name self-declared by the application, not verified/);
  assert.match(text, /Stocks MCP server \( ?mcp\.demo\.example ?\)/, 'the resource and its host');
  assert.equal(text.match(/Read stock prices for your region/g)?.length, 1, 'the permission once, in plain words');
  assert.match(text, new RegExp(`Read stock prices for your region ${TEST_SCOPE}`), 'its technical name beside it');
  assert.match(text, /Access lasts 15 minutes/);
  assert.match(text, /sent to agent\.example ?\./);
  assert.match(text, new RegExp(`Signed in as ${KNOWN} ?\\. Not you\\? Sign in again`));
  assert.match(consent.body, /<button class="button primary" type="submit" name="decision" value="approve">Allow<\/button>/);
  assert.match(consent.body, /<button class="button secondary" type="submit" name="decision" value="deny">Deny<\/button>/);
  // A code works once.
  const again = await agent.request(`${as.url}${PAGES.code}`, {
    method: 'POST',
    body: new URLSearchParams({ csrf: consentForm.fields.csrf!, otp: code }),
  });
  assert.equal(again.location, `${as.url}${PAGES.email}`, 'back to the start, not to consent');
});

test('an expired code is refused', async () => {
  const seen = await settledMailbox(KNOWN);
  const { agent, codePage } = await toCodePage(KNOWN);
  const code = await readCode({ mailApi: mail.apiUrl, email: KNOWN, exclude: seen });
  as.advance(301);
  const page = await enter(agent, codePage, code);
  assert.match(pageText(page.body), /not valid or has expired/);
  assert.ok(form(page, 'otp'));
});

test('five wrong codes lock the code: the page offers a new code instead of the field, and the new code works', async () => {
  let seen = await settledMailbox(KNOWN);
  const { agent, codePage, csrf } = await toCodePage(KNOWN);
  const code = await readCode({ mailApi: mail.apiUrl, email: KNOWN, exclude: seen });
  const wrong = code === '999999' ? '999998' : '999999';
  let page = codePage;
  for (let i = 0; i < 5; i++) page = await enter(agent, page, wrong);
  assert.match(pageText(page.body), /Too many wrong codes/);
  const forms = parseForms(page.body, page.url);
  assert.ok(!forms.some((f) => 'otp' in f.fields), 'no field that can no longer succeed');
  const resend = forms.find((f) => f.fields.email === KNOWN);
  assert.ok(resend, 'a "Send a new code" form that keeps the address');

  page = await postCode(agent, csrf, code);
  assert.match(pageText(page.body), /Too many wrong codes/, 'the right code no longer works either');

  seen = await settledMailbox(KNOWN);
  page = await agent.submit(resend);
  assert.match(pageText(page.body, 5_000), /we have sent a new 6-digit code/);
  page = await enter(agent, page, await readCode({ mailApi: mail.apiUrl, email: KNOWN, exclude: seen }));
  assert.ok(form(page, 'decision'), 'the new code leads to consent');
});

test('an attacker guessing from one address locks nobody out: the user signs in from another address with a fresh code', async () => {
  const JANE = 'jane.test@demo.example';
  const attacker = '198.51.100.66';
  const codeOf = async (start: (agent: UserAgent) => Promise<{ agent: UserAgent; codePage: Page; csrf: string }>, agent: UserAgent) => {
    const seen = await settledMailbox(JANE);
    const started = await start(agent);
    return { ...started, code: await readCode({ mailApi: mail.apiUrl, email: JANE, exclude: seen }) };
  };
  // Jane asked for a code; before she types it, someone elsewhere guesses.
  const jane = await codeOf((agent) => toCodePage(JANE, agent), browserAt('203.0.113.5'));

  const guesser = await codeOf((agent) => toCodePage(JANE, agent), browserAt(attacker));
  const wrong = (code: string) => (code === '000000' ? '111111' : '000000');
  let page = guesser.codePage;
  let sent = 1;
  for (let guesses = 0; guesses < 10;) {
    for (let i = 0; i < 5; i++, guesses++) page = await postCode(guesser.agent, guesser.csrf, wrong(guesser.code));
    assert.match(pageText(page.body, 5_000), /Too many wrong codes/);
    if (guesses < 10) {
      page = await guesser.agent.submit(parseForms(page.body, page.url).find((f) => f.fields.email === JANE)!);
      sent++;
    }
  }
  assert.equal(sent, 2);
  // Ten wrong codes for Jane: every code of hers still outstanding died, hers included.
  page = await enter(jane.agent, jane.codePage, jane.code);
  assert.match(
    pageText(page.body, 5_000),
    /Too many wrong codes were entered for jane\.test@demo\.example ?, so for your safety the code we sent no longer works/,
  );

  // The guesser's address runs out of codes for Jane; Jane's does not.
  for (; sent < 5; sent++) {
    const next = await toCodePage(JANE, browserAt(attacker));
    assert.ok(form(next.codePage, 'otp'), `code ${sent + 1} from the guessing address`);
  }
  const refused = await toCodePage(JANE, browserAt(attacker));
  assert.equal(refused.codePage.status, 429, 'a sixth code within the hour from one address is refused');
  assert.match(pageText(refused.codePage.body), /Too many codes were sent to this address in the last hour from your network/);
  assert.equal(refused.codePage.headers.get('retry-after') !== null, true);

  const seen = await settledMailbox(JANE);
  page = await jane.agent.submit(parseForms(page.body, page.url).find((f) => f.fields.email === JANE)!);
  assert.match(pageText(page.body, 5_000), /we have sent a new 6-digit code/);
  page = await enter(jane.agent, page, await readCode({ mailApi: mail.apiUrl, email: JANE, exclude: seen }));
  assert.ok(form(page, 'decision'), 'the fresh code leads to consent');
});

test('codes mailed to one user are capped per hour across addresses; a code used gives its count back', async () => {
  const ANN = 'ann.nobody@demo.example';
  // Twenty codes within the hour, from four addresses (five each, the most one address may ask for).
  for (let n = 0; n < 20; n++) {
    const { codePage } = await toCodePage(ANN, browserAt(`192.0.2.${Math.floor(n / 5) + 1}`));
    assert.ok(form(codePage, 'otp'), `code ${n + 1}`);
  }
  const refused = await toCodePage(ANN, browserAt('192.0.2.99'));
  assert.equal(refused.codePage.status, 429, 'the 21st code of the hour, from a fresh address, is refused');
  assert.match(pageText(refused.codePage.body), /Too many codes were sent to this address in the last hour\. Wait/);
  as.advance(3_601);
  assert.ok(form((await toCodePage(ANN, browserAt('192.0.2.99'))).codePage, 'otp'), 'a new hour, a new allowance');

  // A user who signs in, and uses each code, is never refused.
  const JOHN_AT = browserAt('192.0.2.200');
  for (let n = 0; n < 7; n++) {
    const seen = await settledMailbox(KNOWN);
    const { agent, codePage } = await toCodePage(KNOWN, JOHN_AT);
    const page = await enter(agent, codePage, await readCode({ mailApi: mail.apiUrl, email: KNOWN, exclude: seen }));
    assert.ok(form(page, 'decision'), `sign-in ${n + 1} from one address`);
  }
});

test('form posts without the CSRF token, with a wrong one, or without the signed cookie are refused', async () => {
  const agent = new UserAgent();
  const page = await agent.navigate(start());
  const emailForm = form(page, 'email');
  const missing = await agent.request(emailForm.action, { method: 'POST', body: new URLSearchParams({ email: KNOWN }) });
  assert.equal(missing.status, 403);
  assert.match(pageText(missing.body), /CSRF/);
  const wrong = await agent.request(emailForm.action, {
    method: 'POST',
    body: new URLSearchParams({ email: KNOWN, csrf: 'x'.repeat(43) }),
  });
  assert.equal(wrong.status, 403);
  const cookieless = await fetch(emailForm.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...emailForm.fields, email: KNOWN }),
    redirect: 'manual',
  });
  assert.equal(cookieless.status, 400);
  const forged = await fetch(emailForm.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: agent.jar.header(as.url)!.replace(/\.[^.;]+$/, '.AAAA') },
    body: new URLSearchParams({ ...emailForm.fields, email: KNOWN }),
    redirect: 'manual',
  });
  assert.equal(forged.status, 400, 'a cookie with a wrong signature is not accepted');
});

test('deny returns access_denied with state and iss', async () => {
  const result = await signIn({ authorizeUrl: start(), email: KNOWN, mailApi: mail.apiUrl, decision: 'deny' });
  assert.equal(result.error, 'access_denied');
  assert.equal(result.state, 's1');
  assert.equal(result.iss, as.issuer);
  assert.equal(result.code, undefined);
});

test('the consent decision is single use', async () => {
  const agent = new UserAgent();
  const seen = await settledMailbox(KNOWN);
  let page = await agent.navigate(start());
  page = await agent.submit(form(page, 'email'), { email: KNOWN });
  page = await agent.submit(form(page, 'otp'), { otp: await readCode({ mailApi: mail.apiUrl, email: KNOWN, exclude: seen }) });
  const consentForm = form(page, 'decision');
  const first = await agent.request(consentForm.action, {
    method: 'POST',
    body: new URLSearchParams({ ...consentForm.fields, decision: 'approve' }),
  });
  assert.equal(first.status, 303);
  assert.ok(new URL(first.location!).searchParams.get('code'));
  const replay = await fetch(consentForm.action, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: page.headers.get('set-cookie') ?? agent.jar.header(as.url) ?? '',
    },
    body: new URLSearchParams({ ...consentForm.fields, decision: 'approve' }),
    redirect: 'manual',
  });
  assert.equal(replay.status, 400);
  assert.equal(replay.headers.get('location'), null);
});

test('at most three codes per sign-in', async () => {
  const agent = new UserAgent();
  let page = await agent.navigate(start());
  for (let i = 0; i < 3; i++) {
    await agent.submit(form(page, 'email'), { email: 'nobody@demo.example' });
    page = await agent.navigate(`${as.url}${PAGES.email}`);
  }
  const refused = await agent.submit(form(page, 'email'), { email: 'nobody@demo.example' });
  assert.equal(refused.status, 429);
});

test('"Not you?" forgets who signed in: back to an empty email page, and the consent page is gone', async () => {
  const seen = await settledMailbox(KNOWN);
  const { agent, codePage } = await toCodePage(KNOWN);
  const consent = await enter(agent, codePage, await readCode({ mailApi: mail.apiUrl, email: KNOWN, exclude: seen }));
  const restart = parseForms(consent.body, consent.url).find((f) => f.action.endsWith(PAGES.restart));
  assert.ok(restart, 'a "not you?" form');
  const page = await agent.submit(restart);
  assert.equal(form(page, 'email').fields.email, '', 'the address is not filled in');
  const again = await agent.navigate(`${as.url}${PAGES.consent}`);
  assert.ok(form(again, 'email'), 'no consent without signing in again');
});

test('an invalid address is refused at its field', async () => {
  const agent = new UserAgent();
  const page = await agent.navigate(start());
  const after = await agent.submit(form(page, 'email'), { email: 'john.doe@' });
  assert.match(after.body, /aria-invalid="true" aria-describedby="email-error email-hint"/);
  assert.match(after.body, /<p class="field-error" id="email-error">Enter an email address such as name@example\.com\.<\/p>/);
});

test('the code mail has a text and an HTML part naming the organisation and the application; its subject holds no code', async () => {
  const seen = await settledMailbox(KNOWN);
  await toCodePage(KNOWN);
  const code = await readCode({ mailApi: mail.apiUrl, email: KNOWN, exclude: seen });
  const mails = (await (await fetch(`${mail.apiUrl}/email`)).json()) as { id: string; subject: string; text: string; html: string }[];
  const latest = mails.filter((m) => !seen.has(m.id) && m.text.includes(code)).at(-1)!;
  assert.equal(latest.subject, 'Your code to sign in to Demo Example');
  assert.match(latest.text, /an application that calls itself "Stock Agent"/);
  assert.match(latest.html, new RegExp(code));
  assert.match(latest.html, /Stock Agent/);
});

test('a page that cannot go on speaks plainly, puts the technical detail below and leads back to the application', async () => {
  const agent = new UserAgent();
  const page = await agent.navigate(start());
  const refused = await agent.request(form(page, 'email').action, {
    method: 'POST',
    body: new URLSearchParams({ email: KNOWN, csrf: 'x'.repeat(43) }),
  });
  assert.equal(refused.status, 403);
  assert.match(refused.body, /<h1 id="title">This form cannot be used<\/h1>/);
  assert.match(refused.body, /<p class="technical">Technical detail: csrf: the form&#39;s CSRF token is missing or wrong<\/p>/);
  const back = /<a class="button primary" href="([^"]+)">Back to Stock Agent<\/a>/.exec(refused.body)?.[1];
  assert.ok(back, 'a way back to the application');
  const url = new URL(back.replaceAll('&amp;', '&'));
  assert.equal(`${url.origin}${url.pathname}`, 'https://agent.example/cb');
  assert.equal(url.searchParams.get('error'), 'access_denied');
  assert.equal(url.searchParams.get('state'), 's1');
  assert.equal(url.searchParams.get('iss'), as.issuer);
});

test("pages load one stylesheet from the server's own origin, and the CSP allows styles from there only", async () => {
  const page = await fetch(`${as.url}${PAGES.email}`);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /style-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  const body = await page.text();
  assert.doesNotMatch(body, /<style|style=/, 'no inline styles');
  const href = /<link rel="stylesheet" href="([^"]+)"/.exec(body)?.[1];
  assert.ok(href?.startsWith(`${PAGES.stylesheet}?v=`));
  const css = await fetch(new URL(href!, as.url));
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
  assert.match(await css.text(), /prefers-color-scheme: dark/);
});
