import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { AS_PATHS } from '@mcp-secured-api/contracts';
import type { ServerContext } from './context.ts';
import { OAuthError } from './errors.ts';
import { introspectionRoutes } from './introspection.ts';

const NOW = 1_800_000_000;

/** The introspection routes over a token store holding one token that expires at `expiresAt`. */
function app(introspectionCacheSeconds: number, expiresAt: number) {
  const ctx = {
    config: { introspectionCacheSeconds },
    clients: { authenticate: async () => ({ capabilities: new Set(['introspection']) }) },
    tokens: { active: async (token: string) => (token === 'live' ? { jwt: 'a.b.c', expiresAt } : undefined) },
    now: () => NOW,
  } as unknown as ServerContext;
  const hono = new Hono();
  hono.route('/', introspectionRoutes(ctx));
  hono.onError((e, c) => c.text(e.message, e instanceof OAuthError ? 400 : 500));
  return hono;
}

async function maxAgeOf(hono: Hono, token = 'live'): Promise<string | null> {
  const response = await hono.request(AS_PATHS.introspect, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/jwt' },
    body: new URLSearchParams({ token }),
  });
  return response.headers.get('cache-control');
}

test('a gateway may cache an introspection answer for introspectionCacheSeconds at most, however long the token lives', async () => {
  assert.equal(await maxAgeOf(app(30, NOW + 900)), 'max-age=30');
  assert.equal(await maxAgeOf(app(2, NOW + 900)), 'max-age=2');
});

test('an introspection answer is never cached past the end of its token', async () => {
  assert.equal(await maxAgeOf(app(30, NOW + 7)), 'max-age=7');
  assert.equal(await maxAgeOf(app(30, NOW)), 'max-age=0');
});

test('an inactive token is answered with no-store', async () => {
  assert.equal(await maxAgeOf(app(30, NOW + 900), 'revoked'), 'no-store');
});
