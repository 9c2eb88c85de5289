/**
 * The pages' one stylesheet, served from this origin so that the pages' Content-Security-Policy
 * can allow styles from 'self' only. Its URL carries a hash of its content, so a browser may keep
 * it for long and still never use an old one after an upgrade.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { PAGES } from './paths.ts';

const stylesheet = readFileSync(new URL('./sign-in.css', import.meta.url), 'utf8');
const version = createHash('sha256').update(stylesheet).digest('base64url').slice(0, 16);

export const STYLESHEET_URL = `${PAGES.stylesheet}?v=${version}`;

export function assetRoutes(): Hono {
  const app = new Hono();
  app.get(PAGES.stylesheet, (c) =>
    c.body(stylesheet, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=86400' }),
  );
  return app;
}
