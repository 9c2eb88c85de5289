/**
 * Kong's `request-transformer` plugin: remove, rename, replace, add and append (in that order) on
 * headers, then the body (JSON, form or multipart), then the query string, with Kong's rules for
 * each operation. Only a body it changes is read into memory, up to a cap.
 */
import { splitPair, type PluginConfig } from '../config.ts';
import { KONG_MESSAGES, kongError } from '../kong-errors.ts';
import { PayloadTooLargeError, readBody, type Plugin, type ProxyRequest } from '../pipeline.ts';

type TransformerConfig = PluginConfig<'request-transformer'>;
type Lists = TransformerConfig['add'];

/** A decoded form or query: a value, repeated values, or `true` for a bare name without "=". */
type ArgValue = string | string[] | true;
type Args = Map<string, ArgValue>;

const pairs = (entries: string[]) => entries.map(splitPair);

export function requestTransformer(conf: TransformerConfig, options: { maxBodyBytes: number }): Plugin {
  const op = (part: keyof Lists) => ({
    remove: conf.remove[part],
    rename: pairs(conf.rename[part]),
    replace: pairs(conf.replace[part]),
    add: pairs(conf.add[part]),
    append: pairs(conf.append[part]),
  });
  const headers = op('headers');
  const body = op('body');
  const query = op('querystring');
  const touchesBody = Object.values(body).some((l) => l.length > 0);
  const touchesQuery = Object.values(query).some((l) => l.length > 0);

  return async function requestTransformerPlugin(req, next) {
    transformHeaders(req, headers);
    if (touchesBody) {
      try {
        await transformBody(req, body, options.maxBodyBytes);
      } catch (e) {
        if (e instanceof PayloadTooLargeError) return kongError(413, KONG_MESSAGES.payloadTooLarge);
        throw e;
      }
    }
    if (touchesQuery) {
      const encoded = encodeArgs(transformArgs(decodeArgs(req.search.slice(1)), query, true).args);
      req.search = encoded ? `?${encoded}` : '';
    }
    return next(req);
  };
}

type Ops = {
  remove: string[];
  rename: { name: string; value: string }[];
  replace: { name: string; value: string }[];
  add: { name: string; value: string }[];
  append: { name: string; value: string }[];
};

function transformHeaders(req: ProxyRequest, ops: Ops): void {
  const h = req.headers;
  // The Host header is not in Kong's header table: only replace (and append) reach it.
  const isHost = (name: string) => name.toLowerCase() === 'host';
  for (const name of ops.remove) if (!isHost(name)) h.delete(name);
  for (const { name, value: to } of ops.rename) {
    if (isHost(name) || name.toLowerCase() === to.toLowerCase()) continue;
    const value = h.get(name);
    if (value === null) continue;
    h.delete(name);
    h.set(to, value);
  }
  for (const { name, value } of ops.replace) {
    if (isHost(name)) req.host = value;
    else if (h.has(name)) h.set(name, value);
  }
  for (const { name, value } of ops.add) if (!isHost(name) && !h.has(name)) h.set(name, value);
  for (const { name, value } of ops.append) {
    if (isHost(name)) req.host = value;
    else h.append(name, value);
  }
}

async function transformBody(req: ProxyRequest, ops: Ops, maxBodyBytes: number): Promise<void> {
  const contentType = (req.headers.get('content-type') ?? '').toLowerCase();
  const kind = contentType.includes('application/json')
    ? 'json'
    : contentType.includes('multipart/form-data')
      ? 'multipart'
      : contentType.includes('application/x-www-form-urlencoded')
        ? 'form'
        : undefined;
  if (!kind) return;

  const bytes = await readBody(req.body, maxBodyBytes);
  req.body = bytes;
  let changed: Uint8Array | undefined;
  if (kind === 'json') changed = transformJson(bytes, ops);
  else if (kind === 'form') {
    const result = transformArgs(decodeArgs(Buffer.from(bytes).toString('utf8')), ops, bytes.byteLength > 0);
    if (result.changed) changed = Buffer.from(encodeArgs(result.args));
  } else {
    const result = await transformMultipart(bytes, req.headers.get('content-type')!, ops);
    if (result) {
      changed = result.body;
      req.headers.set('content-type', result.contentType);
    }
  }
  if (changed) {
    req.body = changed;
    req.headers.set('content-length', String(changed.byteLength));
  }
}

/** Kong's JSON rules: remove, rename and replace only when there is a body; add and append always. */
function transformJson(bytes: Uint8Array, ops: Ops): Uint8Array | undefined {
  let params: Record<string, unknown> = {};
  if (bytes.byteLength > 0) {
    try {
      params = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      return undefined; // Kong forwards a body it cannot parse unchanged.
    }
    if (params === null || typeof params !== 'object' || Array.isArray(params)) return undefined;
  }
  const present = (name: string) => params[name] !== undefined && params[name] !== false;
  let changed = false;
  if (bytes.byteLength > 0) {
    for (const name of ops.remove) {
      delete params[name];
      changed = true;
    }
    for (const { name, value: to } of ops.rename) {
      if (name === to || !present(name)) continue;
      params[to] = params[name];
      delete params[name];
      changed = true;
    }
    for (const { name, value } of ops.replace) {
      if (!present(name)) continue;
      params[name] = value;
      changed = true;
    }
  }
  for (const { name, value } of ops.add) {
    if (present(name)) continue;
    params[name] = value;
    changed = true;
  }
  for (const { name, value } of ops.append) {
    const old = params[name];
    params[name] = typeof old === 'string' ? [old, value] : Array.isArray(old) ? [...old, value] : [value];
    changed = true;
  }
  return changed ? Buffer.from(JSON.stringify(params)) : undefined;
}

/** Form and query rules; `hasBody` false skips remove, rename and replace as Kong does for empty bodies. */
function transformArgs(args: Args, ops: Ops, hasBody: boolean): { args: Args; changed: boolean } {
  const out = new Map(args);
  let changed = false;
  if (hasBody) {
    for (const name of ops.remove) {
      out.delete(name);
      changed = true;
    }
    for (const { name, value: to } of ops.rename) {
      const v = out.get(name);
      if (name === to || v === undefined) continue;
      out.delete(name);
      out.set(to, v);
      changed = true;
    }
    for (const { name, value } of ops.replace) {
      if (!out.has(name)) continue;
      out.set(name, value);
      changed = true;
    }
  }
  for (const { name, value } of ops.add) {
    if (out.has(name)) continue;
    out.set(name, value);
    changed = true;
  }
  for (const { name, value } of ops.append) {
    const old = out.get(name);
    out.set(name, typeof old === 'string' ? [old, value] : Array.isArray(old) ? [...old, value] : [value]);
    changed = true;
  }
  return { args: out, changed };
}

/** Kong's multipart rules: rename, remove, replace, add (no append); files are kept as they are. */
async function transformMultipart(
  bytes: Uint8Array,
  contentType: string,
  ops: Ops,
): Promise<{ body: Uint8Array; contentType: string } | undefined> {
  const form = await new Response(new Uint8Array(bytes), { headers: { 'content-type': contentType } }).formData();
  let changed = false;
  if (bytes.byteLength > 0) {
    for (const { name, value: to } of ops.rename) {
      const v = form.get(name);
      if (v === null || name === to) continue;
      form.set(to, v);
      form.delete(name);
      changed = true;
    }
    for (const name of ops.remove) {
      form.delete(name);
      changed = true;
    }
    for (const { name, value } of ops.replace) {
      if (!form.has(name)) continue;
      form.set(name, value);
      changed = true;
    }
  }
  for (const { name, value } of ops.add) {
    if (form.has(name)) continue;
    form.set(name, value);
    changed = true;
  }
  if (!changed) return undefined;
  const encoded = new Response(form);
  return { body: new Uint8Array(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}

function decodeArgs(text: string): Args {
  const args: Args = new Map();
  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    const value: string | true = eq < 0 ? true : decodeComponent(part.slice(eq + 1));
    const old = args.get(name);
    if (old === undefined || value === true) args.set(name, old ?? value);
    else args.set(name, typeof old === 'string' ? [old, value] : Array.isArray(old) ? [...old, value] : value);
  }
  return args;
}

/** Encodes with names in sorted order, as Kong sets a rewritten query string. */
function encodeArgs(args: Args): string {
  const parts: string[] = [];
  for (const name of [...args.keys()].sort()) {
    const v = args.get(name)!;
    const key = encodeURIComponent(name);
    if (v === true) parts.push(key);
    else for (const one of Array.isArray(v) ? v : [v]) parts.push(`${key}=${encodeURIComponent(one)}`);
  }
  return parts.join('&');
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
