import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PAGES } from './paths.ts';
import { startMaildev, type Maildev } from '../../test/support/maildev.ts';
import {
  authorizeUrl,
  pkcePair,
  registerClient,
  startTestAuthorizationServer,
  TEST_SCOPE,
  type TestAuthorizationServer,
} from '../../test/support/authorization-server.ts';
import { mailboxSnapshot, pageText, parseForms, readCode, signIn, UserAgent, type Page } from '../../infra/local/headless-sign-in.ts';

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
  await as.close();
  await mail.close();
});

const start = () =>
  authorizeUrl(as.url, {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: 'https://agent.example/cb',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    scope: TEST_SCOPE,
    state: 's1',
  });

function form(page: Page, field: string) {
  const f = parseForms(page.body, page.url).find((x) => field in x.fields || x.buttons.some((b) => b.name === field));
  assert.ok(f, `a form with ${field} at ${page.url} (${page.status}): ${pageText(page.body)}`);
  return f;
}

/** Opens the authorization, posts the email; returns the agent on the code page. */
async function toCodePage(email: string) {
  const agent = new UserAgent();
  const signInPage = await agent.navigate(start());
  const emailForm = form(signInPage, 'email');
  assert.ok(emailForm.fields.csrf, 'the form carries a CSRF token');
  const posted = await agent.request(emailForm.action, { method: 'POST', body: new URLSearchParams({ ...emailForm.fields, email }) });
  assert.equal(posted.status, 303, '303 after POST');
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
  const before = await mailboxSnapshot(mail.apiUrl, unknown);
  const a = await toCodePage(unknown);
  const b = await toCodePage(KNOWN);
  const text = (p: Page, email: string) => pageText(p.body, 5_000).replaceAll(email, '<email>');
  assert.equal(text(a.codePage, unknown), text(b.codePage, KNOWN));
  await readCode({ mailApi: mail.apiUrl, email: KNOWN, timeoutMs: 3_000 });
  assert.equal((await mailboxSnapshot(mail.apiUrl, unknown)).size, before.size, 'no mail to an unknown address');
  const after = await enter(a.agent, a.codePage, '123456');
  assert.ok(form(after, 'otp'), 'still on the code page');
  assert.match(pageText(after.body), /not valid or has expired/);
});

test('a wrong code is refused; the right one then leads to consent naming client, redirect host and scope', async () => {
  const seen = await mailboxSnapshot(mail.apiUrl, KNOWN);
  const { agent, codePage } = await toCodePage(KNOWN);
  const code = await readCode({ mailApi: mail.apiUrl, email: KNOWN, exclude: seen });
  const wrong = await enter(agent, codePage, code === '000000' ? '111111' : '000000');
  assert.match(pageText(wrong.body), /not valid or has expired/);
  const consent = await enter(agent, wrong, code);
  const consentForm = form(consent, 'decision');
  assert.deepEqual(consentForm.buttons.map((b) => b.value).sort(), ['approve', 'deny']);
  const text = pageText(consent.body, 5_000);
  assert.match(text, /Stock Agent/);
  assert.match(text, /agent\.example/);
  assert.match(text, new RegExp(TEST_SCOPE));
  // A code works once.
  const again = await agent.request(`${as.url}${PAGES.code}`, {
    method: 'POST',
    body: new URLSearchParams({ csrf: consentForm.fields.csrf!, otp: code }),
  });
  assert.equal(again.location, `${as.url}${PAGES.email}`, 'back to the start, not to consent');
});

test('an expired code is refused', async () => {
  const seen = await mailboxSnapshot(mail.apiUrl, KNOWN);
  const { agent, codePage } = await toCodePage(KNOWN);
  const code = await readCode({ mailApi: mail.apiUrl, email: KNOWN, exclude: seen });
  as.advance(301);
  const page = await enter(agent, codePage, code);
  assert.match(pageText(page.body), /not valid or has expired/);
  assert.ok(form(page, 'otp'));
});

test('five wrong codes lock the code: the page offers a new code instead of the field, and the new code works', async () => {
  let seen = await mailboxSnapshot(mail.apiUrl, KNOWN);
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

  seen = await mailboxSnapshot(mail.apiUrl, KNOWN);
  page = await agent.submit(resend);
  assert.match(pageText(page.body, 5_000), /we have sent a new 6-digit code/);
  page = await enter(agent, page, await readCode({ mailApi: mail.apiUrl, email: KNOWN, exclude: seen }));
  assert.ok(form(page, 'decision'), 'the new code leads to consent');
});

test('wrong codes count per address across sign-ins: new sign-ins buy no more guesses, until the lock ends', async () => {
  const JANE = 'jane.test@demo.example';
  // Each sign-in waits for its own mail, so no code is mistaken for another sign-in's.
  const codePageWithCode = async () => {
    const seen = await mailboxSnapshot(mail.apiUrl, JANE);
    const started = await toCodePage(JANE);
    return { ...started, code: await readCode({ mailApi: mail.apiUrl, email: JANE, exclude: seen }) };
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    const { agent, codePage, code } = await codePageWithCode();
    const wrong = code === '000000' ? '111111' : '000000';
    let page = codePage;
    for (let i = 0; i < 5; i++) page = await enter(agent, page, wrong);
  }
  const fresh = await codePageWithCode();
  assert.match(pageText(fresh.codePage.body, 5_000), /locked for up to 15 minutes/);
  let page = await postCode(fresh.agent, fresh.csrf, fresh.code);
  assert.match(pageText(page.body, 5_000), /locked for up to 15 minutes/);
  assert.ok(!parseForms(page.body, page.url).some((f) => f.buttons.some((b) => b.name === 'decision')), 'no consent page');

  as.advance(901);
  const later = await codePageWithCode();
  page = await enter(later.agent, later.codePage, later.code);
  assert.ok(form(page, 'decision'), 'the lock has ended: consent');
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
  const seen = await mailboxSnapshot(mail.apiUrl, KNOWN);
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
