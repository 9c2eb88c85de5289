/**
 * The browser's link to its sign-in transaction: a signed, HttpOnly, SameSite=Lax cookie holding
 * only the transaction's random id. Over https it is `__Host-` prefixed (so Secure, path `/`, no
 * Domain: no sibling host can set or shadow it); plain http is for loopback development only,
 * where browsers refuse prefixed cookies.
 */
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { AuthorizationServerConfig } from './config.ts';

export const TRANSACTION_COOKIE = 'as_signin';

function options(config: AuthorizationServerConfig) {
  const secure = config.loginOrigin.startsWith('https:');
  return { path: '/', httpOnly: true, sameSite: 'Lax' as const, secure, ...(secure && { prefix: 'host' as const }) };
}

export async function setTransactionCookie(c: Context, config: AuthorizationServerConfig, id: string, maxAge: number): Promise<void> {
  await setSignedCookie(c, TRANSACTION_COOKIE, id, config.cookieSecret, { ...options(config), maxAge });
}

/** The transaction id, or undefined when the cookie is missing or its signature is wrong. */
export async function readTransactionCookie(c: Context, config: AuthorizationServerConfig): Promise<string | undefined> {
  return (await getSignedCookie(c, config.cookieSecret, TRANSACTION_COOKIE, options(config).prefix)) || undefined;
}

export function clearTransactionCookie(c: Context, config: AuthorizationServerConfig): void {
  deleteCookie(c, TRANSACTION_COOKIE, options(config));
}
