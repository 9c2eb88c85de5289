/**
 * A person signing in, in a real browser: the pages found and filled by their visible labels and
 * button names, the one-time code read in the mail inbox's own web page (which must receive the
 * new mail live, over its WebSocket through the gateway, without a reload).
 */
import type { BrowserContext, Page, WebSocket } from 'playwright-core';

export interface Inbox {
  page: Page;
  /** WebSocket connections the inbox page opened, and whether each carried frames. */
  sockets: { url: string; framesReceived: number; error?: string }[];
  /** The mails listed now, to tell a new one from them. */
  listed(): Promise<Set<string>>;
  /** Waits for a mail to `email` that was not `before`, opens it and reads the 6-digit code from its HTML part. */
  codeFor(email: string, before: Set<string>): Promise<string>;
}

export async function openInbox(context: BrowserContext, url: string): Promise<Inbox> {
  const page = await context.newPage();
  const sockets: Inbox['sockets'] = [];
  page.on('websocket', (ws: WebSocket) => {
    const entry: Inbox['sockets'][number] = { url: ws.url(), framesReceived: 0 };
    sockets.push(entry);
    ws.on('framereceived', () => (entry.framesReceived += 1));
    ws.on('socketerror', (error) => (entry.error = error));
  });
  await page.goto(url);
  await page.locator('.email-list').waitFor({ state: 'attached' });
  const links = page.locator('a.email-item-link');
  const listed = async () => new Set(await links.evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? '')));
  return {
    page,
    sockets,
    listed,
    async codeFor(email, before) {
      const fresh = page.locator('a.email-item-link', { hasText: email });
      const deadline = Date.now() + 15_000;
      let href: string | undefined;
      while (!href) {
        const hrefs = await fresh.evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
        href = hrefs.find((h) => !before.has(h));
        if (!href) {
          if (Date.now() > deadline)
            throw new Error(`No new mail to ${email} appeared in the inbox page within 15 s (without reloading it)`);
          await page.waitForTimeout(100);
        }
      }
      await page.locator(`a.email-item-link[href="${href}"]`).click();
      const body = page.frameLocator('iframe.panel-html').locator('body');
      await body
        .getByText(/\b\d{6}\b/)
        .first()
        .waitFor();
      const code = /\b(\d{6})\b/.exec(await body.innerText())?.[1];
      if (!code) throw new Error(`The mail to ${email} shows no 6-digit code`);
      return code;
    },
  };
}

/** Opens the authorization URL and asks for a code for `email`; returns when the code page shows. */
export async function requestCode(page: Page, authorizationUrl: string, email: string): Promise<void> {
  await page.goto(authorizationUrl);
  await page.getByLabel('Work email address').fill(email);
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
}

/** Types the code and continues; returns the heading of the page that follows. */
export async function enterCode(page: Page, code: string): Promise<string> {
  await page.getByLabel('6-digit code').fill(code);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.waitForLoadState();
  return (await page.getByRole('heading', { level: 1 }).innerText()).trim();
}
