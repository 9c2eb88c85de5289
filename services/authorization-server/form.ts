/** Reading OAuth request parameters: each at most once (RFC 6749 §3.1, §3.2). */
import type { Context } from 'hono';
import { OAuthError } from './errors.ts';

/** Parameters of a query or form; `undefined` names the first repeated parameter. */
export function singleValued(params: URLSearchParams): { values: Record<string, string>; repeated?: string } {
  const values: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in values) return { values, repeated: key };
    values[key] = value;
  }
  return { values };
}

/** The body of an `application/x-www-form-urlencoded` POST, refusing repeated parameters. */
export async function readForm(c: Context): Promise<Record<string, string>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded');
  }
  const { values, repeated } = singleValued(new URLSearchParams(await c.req.text()));
  if (repeated) throw new OAuthError('invalid_request', `The parameter ${repeated} must not be repeated`);
  return values;
}
