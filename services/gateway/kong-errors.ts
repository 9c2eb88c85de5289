/**
 * Responses Kong itself produces (not its plugins): JSON with the message and a request id, as
 * Kong 3.x's `kong.response.error` and error handler write them.
 */
import { randomBytes } from 'node:crypto';

export const KONG_MESSAGES = {
  noRoute: 'no Route matched with those values',
  useHttps: 'Please use HTTPS protocol',
  payloadTooLarge: 'Payload too large',
  badGateway: 'An invalid response was received from the upstream server',
  gatewayTimeout: 'The upstream server is timing out',
  unexpected: 'An unexpected error occurred',
} as const;

export function kongError(status: number, message: string, headers: Record<string, string> = {}): Response {
  const body = `{\n  "message":${JSON.stringify(message)},\n  "request_id":"${randomBytes(16).toString('hex')}"\n}`;
  return new Response(body, { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}
