/**
 * Makes the README's picture of the consent page (`docs/consent.png`): the local stack, the console
 * client's sign-in in Chromium as a person does it, and a screenshot of the consent page.
 * Run with `npm run screenshot:consent` (it needs Chromium, as the browser tests do).
 */
import { fileURLToPath } from 'node:url';
import { mailboxSnapshot, readCode } from '../../infra/local/headless-sign-in.ts';
import { launchChromium } from '../support/browser.ts';
import { enterCode, requestCode } from '../support/browser-sign-in.ts';
import { startConsoleClient } from '../support/console-client.ts';
import { startTestStack } from '../support/local-stack.ts';

const OUT = fileURLToPath(new URL('../../docs/consent.png', import.meta.url));
const EMAIL = 'john.doe@demo.example';

const browser = await launchChromium();
const stack = await startTestStack();
const client = startConsoleClient(['--list', `${stack.info.mcp}/`]);
try {
  const page = await browser.newPage({ viewport: { width: 640, height: 480 }, colorScheme: 'light' });
  const seen = await mailboxSnapshot(stack.info.mail, EMAIL);
  await requestCode(page, await client.authorizationUrl, EMAIL);
  const heading = await enterCode(page, await readCode({ mailApi: stack.info.mail, email: EMAIL, exclude: seen }));
  if (heading !== 'Allow access?') throw new Error(`Expected the consent page, got "${heading}"`);
  await page.screenshot({ path: OUT, fullPage: true });
  process.stderr.write(`Wrote ${OUT}\n`);
} finally {
  client.stop();
  await browser.close();
  await stack.stop();
}
