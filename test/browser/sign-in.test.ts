/**
 * Signing in as a person does, in Chromium, against the local stack: the console client prints
 * its authorization URL, the browser opens it, the pages are used by their visible labels, the
 * code is read in the mail inbox's web page through the gateway, and the client ends up connected.
 * Every page is scanned with axe-core (light and dark), and at phone width nothing scrolls sideways.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AS_PATHS } from '@mcp-secured-api/contracts';
import { horizontalOverflow, inBrowserContext, launchChromium, seriousViolations, watchProblems } from '../support/browser.ts';
import { enterCode, openInbox, requestCode, type Inbox } from '../support/browser-sign-in.ts';
import { startConsoleClient } from '../support/console-client.ts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';
import { authorizationRequest, registerPublicClient } from '../support/tokens.ts';
import { mailboxSnapshot, readCode } from '../../infra/local/headless-sign-in.ts';

const JOHN = 'john.doe@demo.example';
const JANE = 'jane.test@demo.example';
const DESKTOP = { viewport: { width: 1280, height: 900 } };
/** Nothing listens here: the tests that use it never follow the redirect. */
const REDIRECT = 'http://127.0.0.1:9/callback';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

describe('sign-in in a real browser', { timeout: 240_000 }, () => {
  let stack: TestStack;
  let browser: Browser;

  before(async () => {
    // The browser first: without one, the tests fail at once, saying how to install it.
    browser = await launchChromium();
    stack = await startTestStack();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Checks a page as a person meets it: no CSP refusal or script error, no serious accessibility violation, nothing off-screen. */
  async function check(page: Page, problems: string[], where: string): Promise<void> {
    assert.deepEqual(problems, [], `${where}: Content-Security-Policy refusals or script errors`);
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], `${where}: serious or critical accessibility violations`);
    assert.ok((await horizontalOverflow(page)) <= 0, `${where}: the page scrolls sideways at ${page.viewportSize()?.width} px`);
    const primary = page.locator('.button.primary').first();
    if (await primary.count()) {
      const background = await primary.evaluate((el) => getComputedStyle(el).backgroundColor);
      assert.notEqual(background, 'rgba(0, 0, 0, 0)', `${where}: the stylesheet is applied`);
    }
  }

  /**
   * The console client's sign-in in one browser context, up to the consent page; `onCodePage` may
   * take detours on the code page, and gives the code to enter.
   */
  async function toConsent(
    context: BrowserContext,
    email: string,
    client: ReturnType<typeof startConsoleClient>,
    onCodePage: (step: { page: Page; inbox: Inbox; code: string; problems: string[] }) => Promise<string> = async ({ code }) => code,
  ) {
    const inbox = await openInbox(context, stack.info.mail);
    const before = await inbox.listed();
    const page = await context.newPage();
    const problems = watchProblems(page);
    await requestCode(page, await client.authorizationUrl, email);
    await check(page, problems, 'code page');
    const code = await onCodePage({ page, inbox, code: await inbox.codeFor(email, before), problems });
    assert.equal(await enterCode(page, code), 'Allow access?');
    await check(page, problems, 'consent page');
    return { page, inbox, problems };
  }

  /** Chooses on the consent page; returns what the client printed once the browser is back at its callback. */
  async function decide(page: Page, client: ReturnType<typeof startConsoleClient>, decision: 'Allow' | 'Deny') {
    await page.getByRole('button', { name: decision, exact: true }).click();
    await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
    return client.finished;
  }

  function assertConnected(result: Awaited<ReturnType<typeof decide>>): void {
    assert.equal(result.status, 0, result.stderr);
    const tools = JSON.parse(result.stdout) as { name: string }[];
    assert.deepEqual(tools.map((t) => t.name).sort(), ['fetch-stock-prices', 'get-stock-price']);
  }

  test("desktop: the console client's URL, a wrong code refused at its field, the right one, Allow: the client is connected", async () => {
    await inBrowserContext(browser, 'allow-desktop', DESKTOP, async (context) => {
      const client = startConsoleClient(['--list', `${stack.info.mcp}/`]);
      try {
        const { page, inbox } = await toConsent(context, JOHN, client, async ({ page: codePage, code, problems }) => {
          assert.equal(await enterCode(codePage, code === '000000' ? '111111' : '000000'), 'Check your email');
          const field = codePage.getByLabel('6-digit code');
          assert.equal(await field.getAttribute('aria-invalid'), 'true');
          const [errorId] = (await field.getAttribute('aria-describedby'))?.split(' ') ?? [];
          assert.match(await codePage.locator(`[id="${errorId}"]`).innerText(), /not valid or has expired/);
          await check(codePage, problems, 'code page with an error');
          return code;
        });

        const consent = await page.locator('main').innerText();
        assert.match(await page.locator('header').innerText(), new RegExp(stack.model.organizationName.replace(/\./g, '\\.')));
        assert.match(consent, /MCP console client/);
        assert.match(consent, /self-declared by the application, not verified/);
        assert.match(consent, new RegExp(`Stocks MCP server \\(${new URL(stack.info.mcp).host}\\)`));
        assert.equal(consent.match(/Read stock prices for your region/g)?.length, 1, 'the permission once, in plain words');
        assert.match(consent, /stocks\/read/);
        assert.match(consent, new RegExp(`Signed in as ${JOHN}`));
        assert.match(consent, /sent to 127\.0\.0\.1:\d+ \(an application on this computer\)/);
        const allow = page.getByRole('button', { name: 'Allow', exact: true });
        assert.match((await allow.getAttribute('class')) ?? '', /\bprimary\b/, 'Allow is the primary action');

        assertConnected(await decide(page, client, 'Allow'));

        const live = inbox.sockets.filter((s) => /\/socket\.io\//.test(s.url));
        assert.ok(live.length > 0, 'the inbox opened its WebSocket through the gateway');
        assert.ok(
          live.some((s) => s.framesReceived > 0 && !s.error),
          `the WebSocket carried frames: ${JSON.stringify(live)}`,
        );
        assert.ok(
          live.every((s) => s.url.startsWith(stack.info.mail.replace(/^http/, 'ws'))),
          'through the gateway port',
        );
      } finally {
        client.stop();
      }
    });
  });

  test('phone (390 px): "Send a new code" keeps the address, "not you?" starts again, Allow: connected; nothing scrolls sideways', async () => {
    await inBrowserContext(browser, 'allow-phone', PHONE, async (context) => {
      const client = startConsoleClient(['--list', `${stack.info.mcp}/`]);
      try {
        const { page, inbox } = await toConsent(context, JOHN, client, async ({ page: codePage, inbox: box }) => {
          const before = await box.listed();
          await codePage.getByRole('button', { name: 'Send a new code' }).click();
          await codePage.getByText('we have sent a new 6-digit code').waitFor();
          assert.match(await codePage.locator('main').innerText(), new RegExp(JOHN), 'the same address, not typed again');
          return box.codeFor(JOHN, before);
        });

        await page.getByRole('button', { name: /Not you/ }).click();
        await page.getByRole('heading', { name: /^Sign in to / }).waitFor();
        assert.equal(await page.getByLabel('Work email address').inputValue(), '', 'the address is forgotten');
        const before = await inbox.listed();
        await page.getByLabel('Work email address').fill(JANE);
        await page.getByRole('button', { name: 'Email me a code' }).click();
        assert.equal(await enterCode(page, await inbox.codeFor(JANE, before)), 'Allow access?');
        assert.match(await page.locator('main').innerText(), new RegExp(`Signed in as ${JANE}`));
        assert.ok((await horizontalOverflow(page)) <= 0);

        assertConnected(await decide(page, client, 'Allow'));
      } finally {
        client.stop();
      }
    });
  });

  test('Deny: the client is told access_denied and gets no token', async () => {
    await inBrowserContext(browser, 'deny', DESKTOP, async (context) => {
      const client = startConsoleClient(['--list', `${stack.info.mcp}/`]);
      try {
        const { page } = await toConsent(context, JANE, client);
        const result = await decide(page, client, 'Deny');
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /access_denied/);
        assert.equal(new URL(page.url()).searchParams.get('error'), 'access_denied');
        assert.equal(result.stdout, '');
      } finally {
        client.stop();
      }
    });
  });

  test('every page passes axe-core, light at desktop and dark at phone width; a metadata-document client shows its verified host', async () => {
    // A Client ID Metadata Document on loopback (the local stack accepts loopback documents).
    const documentServer = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          client_id: documentUrl,
          client_name: 'Research agent',
          redirect_uris: [REDIRECT],
          token_endpoint_auth_method: 'none',
        }),
      );
    });
    await new Promise<void>((resolve) => documentServer.listen(0, '127.0.0.1', resolve));
    const documentUrl = `http://127.0.0.1:${(documentServer.address() as AddressInfo).port}/agent.json`;
    const registered = await registerPublicClient(stack.model, REDIRECT);
    try {
      // Contrast differs between the schemes; layout between the widths (the other flows cover both widths).
      for (const [colorScheme, name, options] of [
        ['light', 'desktop', DESKTOP],
        ['dark', 'phone', PHONE],
      ] as const) {
        await inBrowserContext(browser, `axe-${colorScheme}-${name}`, { ...options, colorScheme }, async (context) => {
          const where = (page: string) => `${page} (${colorScheme}, ${name})`;
          const page = await context.newPage();
          const problems = watchProblems(page);
          await page.goto(authorizationRequest(stack.model, { clientId: registered, redirectUri: REDIRECT }).url);
          await check(page, problems, where('email page'));
          await page.getByRole('button', { name: 'Email me a code' }).click();
          await page.getByRole('heading', { name: /^Sign in to / }).waitFor();
          assert.equal(
            await page.getByLabel('Work email address').getAttribute('aria-invalid'),
            'true',
            'an empty address is refused at its field',
          );
          await check(page, problems, where('email page with an error'));
          // An address that may not sign in gets the same pages, and its wrong codes lock no real user out.
          await page.getByLabel('Work email address').fill(`nobody-${colorScheme}-${name}@demo.example`);
          await page.getByRole('button', { name: 'Email me a code' }).click();
          await check(page, problems, where('code page'));
          for (let i = 0; i < 5; i++) await enterCode(page, 'abcdef');
          assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Too many wrong codes');
          assert.equal(await page.getByLabel('6-digit code').count(), 0, 'no field that can no longer succeed');
          await check(page, problems, where('code page after too many wrong codes'));

          await page.goto(`${stack.info.login}${AS_PATHS.authorize}?client_id=nobody`);
          assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'This application is not known here');
          assert.match(await page.locator('.technical').innerText(), /invalid_client/);
          await check(page, problems, where('error page'));

          await page.goto(authorizationRequest(stack.model, { clientId: documentUrl, redirectUri: REDIRECT }).url);
          const seen = await mailboxSnapshot(stack.info.mail, JANE);
          await page.getByLabel('Work email address').fill(JANE);
          await page.getByRole('button', { name: 'Email me a code' }).click();
          assert.equal(await enterCode(page, await readCode({ mailApi: stack.info.mail, email: JANE, exclude: seen })), 'Allow access?');
          const consent = await page.locator('main').innerText();
          assert.match(consent, /Research agent/);
          assert.match(consent, new RegExp(`Verified: identified by ${new URL(documentUrl).host}`));
          await check(page, problems, where('consent page'));
        });
      }
    } finally {
      await new Promise((resolve) => documentServer.close(resolve));
    }
  });
});
