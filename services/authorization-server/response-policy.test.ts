import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AS_PATHS, basicAuthorization } from '@mcp-secured-api/contracts';
import { expectForm, UserAgent, type Page } from '../../infra/local/headless-sign-in.ts';
import { codeRequest, GATEWAY_CLIENT, MCP_RESOURCE, startTestAuthorizationServer } from '../../test/support/authorization-server.ts';
import type { CodeMail } from './mailer.ts';
import { PAGES } from './paths.ts';
import { STYLESHEET_URL } from './assets.ts';

const JOHN = 'john.doe@demo.example';
const REDIRECT = 'https://agent.example/cb';

/** A server whose mails land in `mails`, reached in-process at its login origin `origin`. */
async function start(origin?: string) {
  const mails: CodeMail[] = [];
  const as = await startTestAuthorizationServer({
    config: origin ? { loginOrigin: origin, issuer: `${origin}${AS_PATHS.issuer}` } : {},
    deps: { mailer: { sendCode: async (m) => void mails.push(m), close: () => {} } },
  });
  const base = origin ?? as.url;
  const send: typeof fetch = (url, init) => Promise.resolve(as.server.app.request(String(url), init));
  const registered = await send(`${base}${AS_PATHS.registration}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
  });
  const clientId = ((await registered.json()) as { client_id: string }).client_id;
  const authorization = codeRequest(base, clientId, REDIRECT, { resource: MCP_RESOURCE }).url;
  return { as, base, send, registered, authorization, mails };
}

/** Every answer of a sign-in to consent, in order. */
async function signInPages(s: Awaited<ReturnType<typeof start>>): Promise<{ pages: Page[]; agent: UserAgent }> {
  const pages: Page[] = [];
  const agent = new UserAgent(s.send);
  const step = async (page: Promise<Page>) => {
    pages.push(await page);
    return pages.at(-1)!;
  };
  const follow = async (page: Page) => {
    while (page.location?.startsWith(s.base)) page = await step(agent.request(page.location));
    return page;
  };
  const formWith = (page: Page, field: string) => expectForm(page, field, 'Sign-in step');
  const post = (action: string, fields: Record<string, string>) =>
    step(agent.request(action, { method: 'POST', body: new URLSearchParams(fields) }));

  let page = await follow(await step(agent.request(s.authorization)));
  const email = formWith(page, 'email');
  page = await follow(await post(email.action, { ...email.fields, email: JOHN }));
  await s.as.server.mailQueue.idle();
  const otp = formWith(page, 'otp');
  page = await follow(await post(otp.action, { ...otp.fields, otp: s.mails.at(-1)!.code }));
  const consent = formWith(page, 'decision');
  await post(consent.action, { ...consent.fields, decision: 'approve' });
  return { pages, agent };
}

describe('over http (loopback development)', () => {
  let s: Awaited<ReturnType<typeof start>>;
  before(async () => {
    s = await start();
  });
  after(() => s.as.close());

  test('no sign-in page, code, consent, redirect, token, registration or revocation answer may be cached', async () => {
    const { pages } = await signInPages(s);
    assert.equal(pages.length, 7, pages.map((p) => `${p.status} ${p.url}`).join('\n'));
    for (const page of pages) assert.equal(page.headers.get('cache-control'), 'no-store', `${page.status} ${page.url}`);
    const code = new URL(pages.at(-1)!.location!).searchParams.get('code');
    assert.ok(code, 'the last answer carries the authorization code');

    const unknownClient = await s.send(`${s.base}${AS_PATHS.authorize}?client_id=nobody`);
    assert.equal(unknownClient.status, 400);
    assert.equal(unknownClient.headers.get('cache-control'), 'no-store', 'an error page');
    const expired = await s.send(`${s.base}${PAGES.code}`);
    assert.equal(expired.headers.get('cache-control'), 'no-store', 'a page without its sign-in');
    assert.equal(s.registered.headers.get('cache-control'), 'no-store', 'the registration');
    const badRegistration = await s.send(`${s.base}${AS_PATHS.registration}`, { method: 'POST', body: 'x' });
    assert.equal(badRegistration.headers.get('cache-control'), 'no-store');
    const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    const revoked = await s.send(`${s.base}${AS_PATHS.revoke}`, { ...form, body: `token=x&client_id=${GATEWAY_CLIENT.id}` });
    assert.equal(revoked.headers.get('cache-control'), 'no-store');
    const token = await s.send(`${s.base}${AS_PATHS.token}`, { ...form, body: 'grant_type=client_credentials' });
    assert.equal(token.headers.get('cache-control'), 'no-store');
    const introspection = await s.send(`${s.base}${AS_PATHS.introspect}`, {
      ...form,
      headers: { ...form.headers, authorization: basicAuthorization(GATEWAY_CLIENT.id, GATEWAY_CLIENT.secret) },
      body: 'token=x',
    });
    assert.equal(introspection.status, 200);

    const stylesheet = await s.send(`${s.base}${STYLESHEET_URL}`);
    assert.match(stylesheet.headers.get('cache-control') ?? '', /max-age=\d+/, 'the versioned stylesheet stays cacheable');
  });

  test("pages' forms may post only to the server itself; the consent form also to the client's redirect origin", async () => {
    const { pages } = await signInPages(s);
    const html = pages.filter((p) => p.status === 200);
    assert.equal(html.length, 3, 'the email, code and consent pages');
    const formAction = (p: Page) => /(?:^|;\s*)form-action ([^;]*)/.exec(p.headers.get('content-security-policy') ?? '')?.[1];
    assert.equal(formAction(html[0]!), "'self'");
    assert.equal(formAction(html[1]!), "'self'");
    assert.equal(formAction(html[2]!), "'self' https://agent.example", 'the consent answer redirects there');
    for (const page of html) {
      const csp = page.headers.get('content-security-policy') ?? '';
      for (const directive of ["default-src 'none'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"])
        assert.ok(csp.includes(directive), `${directive} in ${csp}`);
    }
  });

  test('the sign-in cookie has no __Host- prefix over plain http, where browsers would refuse it', async () => {
    const { pages } = await signInPages(s);
    const cookie = pages[0]!.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^as_signin=/);
    assert.doesNotMatch(cookie, /Secure/);
  });
});

describe('over https', () => {
  let s: Awaited<ReturnType<typeof start>>;
  before(async () => {
    s = await start('https://login.demo.example');
  });
  after(() => s.as.close());

  test('the sign-in cookie is __Host- prefixed: Secure, Path=/, no Domain; the sign-in works with it', async () => {
    const { pages } = await signInPages(s);
    const cookie = pages[0]!.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^__Host-as_signin=/);
    assert.match(cookie, /; Secure/);
    assert.match(cookie, /; Path=\/(;|$)/);
    assert.doesNotMatch(cookie, /Domain=/i);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Lax/);
    assert.ok(new URL(pages.at(-1)!.location!).searchParams.get('code'), 'the sign-in reached the client with a code');
    const cleared = pages.at(-1)!.headers.get('set-cookie') ?? '';
    assert.match(cleared, /^__Host-as_signin=; Max-Age=0/, 'the cookie is cleared once the sign-in ends');
  });
});
