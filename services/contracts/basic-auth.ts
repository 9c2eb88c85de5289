/**
 * HTTP Basic client credentials (RFC 6749 §2.3.1): the client id and secret are each
 * form-urlencoded, joined by a colon, then base64-encoded.
 */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** The `Authorization` header value for a client's credentials. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64')}`;
}

/**
 * The credentials in an `Authorization: Basic …` header; undefined when the header is not Basic,
 * `null` when it is Basic but malformed.
 */
export function parseBasicAuthorization(header: string | undefined): { clientId: string; clientSecret: string } | undefined | null {
  const match = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!match) return header && /^Basic(\s|$)/i.test(header) ? null : undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}
