/**
 * Signs a configured user in without a person, for `npm run demo` and the whole-system tests: a
 * small user agent (a cookie jar, redirects followed by hand so that each hop is visible, forms
 * parsed and posted with their hidden fields) and the one-time code read from the mail inbox's
 * REST API. `signIn` runs the whole browser part of an authorization: sign-in form, code from the
 * inbox, consent. It works only where the inbox is readable, that is against a test inbox.
 *
 * It relies on the server's stable form contract: inputs `email` and `otp`, buttons
 * `decision=approve|deny`, hidden fields carried along.
 */
import { OFFLINE_ACCESS } from '@mcp-secured-api/contracts';

export class CookieJar {
  readonly #byHost = new Map<string, Map<string, string>>();

  /** Keeps the cookies a response sets (name and value per host; Max-Age=0 or a past Expires deletes). */
  store(url: string | URL, response: Response): void {
    const host = new URL(url).host;
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const jar = this.#byHost.get(host) ?? new Map<string, string>();
      this.#byHost.set(host, jar);
      const expired = attributes.some((a) => {
        const [k = '', v = ''] = a.trim().split('=');
        return (k.toLowerCase() === 'max-age' && Number(v) <= 0) || (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now());
      });
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
  }

  /** The Cookie header for a request to `url`, if any cookie is held for its host. */
  header(url: string | URL): string | undefined {
    const jar = this.#byHost.get(new URL(url).host);
    return jar?.size ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  clear(): void {
    this.#byHost.clear();
  }
}

export interface HtmlForm {
  action: string;
  method: string;
  /** Inputs with a name (hidden ones and ticked boxes included), with their values. */
  fields: Record<string, string>;
  /** Submit buttons with a name. */
  buttons: { name: string; value: string }[];
}

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  /** The absolute Location of a redirect. */
  location?: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", '#x2F': '/' };

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27|#x2F);/g, (_, e: string) => ENTITIES[e] ?? _);
}

function attributes(tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z_:-]+)(?:\s*=\s*"([^"]*)")?/g)) attrs[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? '');
  return attrs;
}

/** The forms of a page, with actions made absolute against the page's URL. */
export function parseForms(html: string, pageUrl: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const form = attributes(m[1]!);
    const fields: Record<string, string> = {};
    const buttons: { name: string; value: string }[] = [];
    for (const input of m[2]!.matchAll(/<(input|button)\b([^>]*)>/gi)) {
      const a = attributes(input[2]!);
      if (!a.name) continue;
      const isButton = input[1]!.toLowerCase() === 'button' || a.type === 'submit';
      // As a browser does: an unticked box sends nothing.
      if ((a.type === 'checkbox' || a.type === 'radio') && !('checked' in a)) continue;
      if (isButton) buttons.push({ name: a.name, value: a.value ?? '' });
      else fields[a.name] = a.value ?? '';
    }
    forms.push({ action: new URL(form.action ?? '', pageUrl).href, method: (form.method ?? 'get').toUpperCase(), fields, buttons });
  }
  return forms;
}

/** The visible text of a page, shortened, for error messages and assertions. */
export function pageText(html: string, max = 500): string {
  return decodeEntities(html.replace(/<style[\s\S]*?<\/style>/gi, '').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, max);
}

export class UserAgent {
  readonly jar = new CookieJar();

  /** `send` makes the requests: `fetch`, or a stand-in (an app in the same process, tests). */
  constructor(private readonly send: typeof fetch = fetch) {}

  /** One request, redirects not followed; cookies sent and stored. */
  async request(url: string, init: { method?: string; body?: URLSearchParams; headers?: Record<string, string> } = {}): Promise<Page> {
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    if (init.body) headers.set('content-type', 'application/x-www-form-urlencoded');
    const response = await this.send(url, {
      method: init.method ?? 'GET',
      headers,
      body: init.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    this.jar.store(url, response);
    const location = response.headers.get('location');
    return {
      url,
      status: response.status,
      headers: response.headers,
      body: await response.text(),
      location: location ? new URL(location, url).href : undefined,
    };
  }

  /**
   * Requests `url` and follows redirects (as GETs) while they stay on the origin `stayOn`
   * (default: the origin of `url`). Returns the last page, or the first redirect leaving that origin.
   */
  async navigate(url: string, init: { method?: string; body?: URLSearchParams } = {}, stayOn = new URL(url).origin): Promise<Page> {
    let page = await this.request(url, init);
    for (let hops = 0; page.location && hops < 10; hops++) {
      if (new URL(page.location).origin !== stayOn) return page;
      page = await this.request(page.location);
    }
    return page;
  }

  /** Posts a form with its hidden fields, `values` and the chosen button, then follows redirects on the form's origin. */
  async submit(form: HtmlForm, values: Record<string, string> = {}, button?: { name: string; value: string }): Promise<Page> {
    const body = new URLSearchParams({ ...form.fields, ...values, ...(button && { [button.name]: button.value }) });
    return this.navigate(form.action, { method: form.method, body }, new URL(form.action).origin);
  }
}

interface MaildevMessage {
  id: string;
  to: { address: string }[];
  subject: string;
  text: string;
}

async function messagesTo(mailApi: string, email: string): Promise<MaildevMessage[]> {
  const response = await fetch(`${mailApi}/email`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`The mail inbox answered ${response.status} at ${mailApi}/email`);
  const all = (await response.json()) as MaildevMessage[];
  return all.filter((m) => m.to.some((t) => t.address.toLowerCase() === email.toLowerCase()));
}

/** The ids of the mail an address has already received, to wait for a newer one. */
export async function mailboxSnapshot(mailApi: string, email: string): Promise<Set<string>> {
  return new Set((await messagesTo(mailApi, email)).map((m) => m.id));
}

/** Waits for a new mail to `email` whose subject mentions a code, and returns its 6-digit code. */
export async function readCode(options: { mailApi: string; email: string; exclude?: Set<string>; timeoutMs?: number }): Promise<string> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    const fresh = (await messagesTo(options.mailApi, options.email)).filter((m) => !options.exclude?.has(m.id) && /code/i.test(m.subject));
    const code = fresh.at(-1)?.text.match(/\b(\d{6})\b/)?.[1];
    if (code) return code;
    if (Date.now() > deadline) throw new Error(`No mail with a code reached ${options.email} within ${options.timeoutMs ?? 5_000} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface SignInResult {
  /** Where the authorization server sent the browser at the end: the client's redirect URI. */
  url: URL;
  code?: string;
  state?: string;
  iss?: string;
  error?: string;
  /** The agent used, with its cookies, for further steps. */
  agent: UserAgent;
}

/** The page's form with `field` (a page may hold other forms, such as one to ask for a new code); `step` names the page in the error. */
export function expectForm(page: Page, field: string, step: string): HtmlForm {
  const form = parseForms(page.body, page.url).find((f) => field in f.fields || f.buttons.some((b) => b.name === field));
  if (!form) throw new Error(`${step}: expected a form with "${field}" at ${page.url}, got ${page.status}: ${pageText(page.body)}`);
  return form;
}

function result(page: Page, agent: UserAgent): SignInResult {
  const url = new URL(page.location!);
  const p = url.searchParams;
  return {
    url,
    code: p.get('code') ?? undefined,
    state: p.get('state') ?? undefined,
    iss: p.get('iss') ?? undefined,
    error: p.get('error') ?? undefined,
    agent,
  };
}

/**
 * Runs the browser part of an authorization: opens `authorizeUrl`, signs in with `email`, reads
 * the code from the inbox at `mailApi`, and approves or denies. Returns the redirect to the client.
 * If the server redirects to the client earlier (an error), that redirect is returned.
 */
export async function signIn(options: {
  authorizeUrl: string;
  email: string;
  mailApi: string;
  decision?: 'approve' | 'deny';
  /** Untick the consent page's offline-access line (ticked by default when the client asks for it). */
  refuseOfflineAccess?: boolean;
  agent?: UserAgent;
  mailTimeoutMs?: number;
}): Promise<SignInResult> {
  const agent = options.agent ?? new UserAgent();
  const done = (page: Page) => page.location !== undefined && page.status >= 300 && page.status < 400;

  let page = await agent.navigate(options.authorizeUrl);
  if (done(page)) return result(page, agent);
  const emailForm = expectForm(page, 'email', 'Sign-in page');
  const seen = await mailboxSnapshot(options.mailApi, options.email);
  page = await agent.submit(emailForm, { email: options.email });
  const otpForm = expectForm(page, 'otp', 'Code page');
  const otp = await readCode({ mailApi: options.mailApi, email: options.email, exclude: seen, timeoutMs: options.mailTimeoutMs });
  page = await agent.submit(otpForm, { otp });
  const consentForm = expectForm(page, 'decision', 'Consent page');
  const decision = options.decision ?? 'approve';
  const button = consentForm.buttons.find((b) => b.name === 'decision' && b.value === decision);
  if (!button) throw new Error(`Consent page: no "${decision}" button at ${page.url}`);
  if (options.refuseOfflineAccess) delete consentForm.fields[OFFLINE_ACCESS];
  page = await agent.submit(consentForm, {}, button);
  if (!done(page)) throw new Error(`After consent: expected a redirect to the client, got ${page.status}: ${pageText(page.body)}`);
  return result(page, agent);
}
