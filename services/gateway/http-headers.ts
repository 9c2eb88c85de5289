/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded, in either
 * direction; nor are the names a `Connection` header lists.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect']);

function connectionTokens(value: string | null | undefined): Set<string> {
  return new Set(
    (value ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

export function isHopByHop(name: string, listed: Set<string>): boolean {
  const n = name.toLowerCase();
  return HOP_BY_HOP.has(n) || n.startsWith('proxy-') || listed.has(n);
}

/** A copy of `headers` without hop-by-hop headers. */
export function endToEndHeaders(headers: Headers): Headers {
  const listed = connectionTokens(headers.get('connection'));
  const out = new Headers();
  headers.forEach((value, name) => {
    if (!isHopByHop(name, listed)) out.append(name, value);
  });
  // Headers joins repeated Set-Cookie values into one line; keep them apart.
  if (out.has('set-cookie')) {
    out.delete('set-cookie');
    for (const cookie of headers.getSetCookie()) out.append('set-cookie', cookie);
  }
  return out;
}

/** Web headers from Node's raw header list (name, value, name, value, …), without hop-by-hop ones. */
export function endToEndFromRaw(raw: string[]): Headers {
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') connection = `${connection ?? ''},${raw[i + 1]}`;
  }
  const listed = connectionTokens(connection);
  const out = new Headers();
  for (let i = 0; i < raw.length; i += 2) {
    if (!isHopByHop(raw[i]!, listed)) out.append(raw[i]!, raw[i + 1]!);
  }
  return out;
}
