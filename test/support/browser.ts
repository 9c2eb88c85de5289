/**
 * A real browser for tests: Debian's Chromium driven by playwright-core (never a browser
 * download), headless, with a fresh profile per launch. Helpers check what a person would meet:
 * accessibility (axe-core), horizontal scrolling at phone width, and Content-Security-Policy
 * refusals. When a test fails, screenshots of its pages go to a temporary folder, never into the
 * repository, and the folder is printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Launches Chromium, or fails saying how to install it: a browser test never passes without a browser. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}, and the browser tests need it. On Debian or Ubuntu run ` +
        '"apt-get install -y chromium" as root (.ci/run does this), or set CHROMIUM_PATH to a Chromium or Chrome executable.',
    );
  }
  // playwright-core gives every launch a fresh, temporary profile (--user-data-dir).
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/** A page's Content-Security-Policy refusals and script errors, collected as they happen. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  return problems;
}

/**
 * Runs `body` with a fresh browser context; if it throws, screenshots every page of the context
 * into a new temporary folder, prints where, and throws the error on.
 */
export async function inBrowserContext(
  browser: Browser,
  name: string,
  options: BrowserContextOptions,
  body: (context: BrowserContext) => Promise<void>,
): Promise<void> {
  const context = await browser.newContext(options);
  try {
    await body(context);
  } catch (error) {
    const folder = await mkdtemp(join(tmpdir(), 'sign-in-failure-'));
    const pages = context.pages();
    for (const [i, page] of pages.entries()) {
      await page.screenshot({ path: join(folder, `${name.replace(/\W+/g, '-')}-${i + 1}.png`), fullPage: true }).catch(() => {});
    }
    process.stderr.write(`Screenshots of the failed browser test "${name}" (${pages.length} pages): ${folder}\n`);
    throw error;
  } finally {
    await context.close();
  }
}

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** The serious and critical accessibility violations axe-core finds on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, which the page's CSP (no scripts at all) does not govern.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: Document): Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run(document)).violations as { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
}

/** How far the page scrolls sideways (0 when it fits its viewport's width). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
