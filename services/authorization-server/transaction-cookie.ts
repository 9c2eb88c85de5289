/**
 * The browser's link to its sign-in transaction: a signed, HttpOnly, SameSite=Lax cookie
 * (Secure when the login origin is https) holding only the transaction's random id.
 */
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { AuthorizationServerConfig } from './config.ts';

const COOKIE = 'as_signin';

function options(config: AuthorizationServerConfig) {
  return { path: '/', httpOnly: true, sameSite: 'Lax' as const, secure: config.loginOrigin.startsWith('https:') };
}

export async function setTransactionCookie(c: Context, config: AuthorizationServerConfig, id: string, maxAge: number): Promise<void> {
  await setSignedCookie(c, COOKIE, id, config.cookieSecret, { ...options(config), maxAge });
}

/** The transaction id, or undefined when the cookie is missing or its signature is wrong. */
export async function readTransactionCookie(c: Context, config: AuthorizationServerConfig): Promise<string | undefined> {
  return (await getSignedCookie(c, config.cookieSecret, COOKIE)) || undefined;
}

export function clearTransactionCookie(c: Context, config: AuthorizationServerConfig): void {
  deleteCookie(c, COOKIE, options(config));
}
