/**
 * How fast the built-in authorization server issues, introspects and exchanges tokens on each of
 * its databases, measured in process (requests go to the Hono app directly, no sockets), so that
 * the numbers are the server and its database, not HTTP:
 *
 *   issuance       refresh_token grants: a signed access token and a rotated refresh token
 *                  committed per call (several sign-ins refreshing in parallel)
 *   introspection  the gateway's lookups of the opaque tokens just issued (Accept: application/jwt)
 *   exchange       RFC 8693 exchanges of those tokens' JWTs, each one new (no cache hit)
 *   sign-ins       whole code flows over HTTP, as a browser and an agent make them: sign-in page,
 *                  email, the one-time code read from the mail inbox (maildev, real SMTP), consent,
 *                  then the code redeemed at the token endpoint (several users in parallel)
 *
 * `measureAuthorizationServerRates` is the function the benchmark calls; `npm run bench:as` runs it
 * on PGlite in memory, PGlite on a folder (as `npm start` runs) and PostgreSQL (TEST_DATABASE_URL,
 * in a database of its own; skipped, saying so, without a server) and prints the rates.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AS_PATHS, basicAuthorization, GRANT_TYPE, OFFLINE_ACCESS, TOKEN_TYPE } from '@mcp-secured-api/contracts';
import { openDatabase } from '../../services/authorization-server/database.ts';
import { expectForm, signIn, UserAgent } from '../../infra/local/headless-sign-in.ts';
import {
  codeRequest,
  GATEWAY_CLIENT,
  MCP_CLIENT,
  MCP_RESOURCE,
  postForm,
  registerClient,
  startTestAuthorizationServer,
  TEST_SCOPE,
} from '../support/authorization-server.ts';
import { startMaildev, type Maildev } from '../support/maildev.ts';
import { createTestDatabase } from '../support/postgres.ts';

export interface Rate {
  count: number;
  perSecond: number;
}

export interface AuthorizationServerRates {
  database: string;
  issuance: Rate;
  introspection: Rate;
  exchange: Rate;
  /** Whole sign-ins (code flow with the code read from the inbox), when an inbox was given. */
  signIns?: Rate & { perMinute: number };
}

const REDIRECT = 'https://agent.example/cb';

/** Runs `work` from `concurrency` loops until `items` run out or `durationMs` passes. */
async function drive<T>(
  items: T[],
  concurrency: number,
  durationMs: number,
  work: (item: T, worker: number) => Promise<void>,
): Promise<Rate> {
  const started = performance.now();
  let next = 0;
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < items.length && performance.now() - started < durationMs) {
        await work(items[next++]!, worker);
        count++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { count, perSecond: Math.round(count / seconds) };
}

/**
 * Measures on the database of `databaseUrl` (postgres://…, file:<folder> or memory://), each phase
 * for at most `durationMs` after an unmeasured warm-up, with `concurrency` requests in flight.
 */
export async function measureAuthorizationServerRates(options: {
  databaseUrl: string;
  durationMs?: number;
  /** Unmeasured rounds of the same work first. */
  warmUpMs?: number;
  concurrency?: number;
}): Promise<AuthorizationServerRates> {
  const durationMs = options.durationMs ?? 3_000;
  const concurrency = options.concurrency ?? 8;
  const codes: string[] = [];
  const as = await startTestAuthorizationServer({
    config: { refreshTokenTtlSeconds: 3_600 },
    deps: {
      database: await openDatabase(options.databaseUrl),
      mailer: { sendCode: async ({ code }) => void codes.push(code), close: () => {} },
      limits: { registrationsPerMinute: 1_000, signInPostsPerMinute: 1_000, authorizationsPerMinute: 1_000 },
    },
  });
  const app = as.server.app;
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    app.request(`${as.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    });
  try {
    const clientId = (
      await registerClient(as.url, {
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
      })
    ).body.client_id as string;

    // One sign-in per parallel refresher: each rotates its own refresh token.
    const refreshTokens: string[] = [];
    for (let i = 0; i < concurrency; i++) {
      const request = codeRequest(as.url, clientId, REDIRECT, { scope: `${TEST_SCOPE} ${OFFLINE_ACCESS}`, resource: MCP_RESOURCE });
      const agent = new UserAgent();
      let page = await agent.navigate(request.url);
      page = await agent.submit(expectForm(page, 'email', 'Sign-in page'), { email: 'john.doe@demo.example' });
      await as.server.mailQueue.idle();
      page = await agent.submit(expectForm(page, 'otp', 'Code page'), { otp: codes.at(-1)! });
      const consent = expectForm(page, 'decision', 'Consent page');
      page = await agent.submit(consent, {}, { name: 'decision', value: 'approve' });
      if (!page.location) throw new Error(`sign-in ${page.status} ${page.url}: ${page.body.slice(0, 800)}`);
      const code = new URL(page.location).searchParams.get('code')!;
      const response = await post(AS_PATHS.token, {
        grant_type: 'authorization_code',
        client_id: clientId,
        code,
        redirect_uri: REDIRECT,
        code_verifier: request.verifier,
      });
      refreshTokens.push(((await response.json()) as { refresh_token: string }).refresh_token);
    }

    const gateway = { authorization: basicAuthorization(GATEWAY_CLIENT.id, GATEWAY_CLIENT.secret), accept: 'application/jwt' };
    const mcp = { authorization: basicAuthorization(MCP_CLIENT.id, MCP_CLIENT.secret) };
    const phases = async (ms: number) => {
      const accessTokens: string[] = [];
      const issuance = await drive(Array.from({ length: 1_000_000 }), concurrency, ms, async (_, worker) => {
        const response = await post(AS_PATHS.token, {
          grant_type: 'refresh_token',
          client_id: clientId,
          refresh_token: refreshTokens[worker]!,
        });
        if (response.status !== 200) throw new Error(`refresh answered ${response.status}: ${await response.text()}`);
        const body = (await response.json()) as { access_token: string; refresh_token: string };
        refreshTokens[worker] = body.refresh_token;
        accessTokens.push(body.access_token);
      });
      const jwts: string[] = [];
      const introspection = await drive(accessTokens, concurrency, ms, async (token) => {
        const response = await post(AS_PATHS.introspect, { token }, gateway);
        if (response.status !== 200) throw new Error(`introspection answered ${response.status}`);
        jwts.push(await response.text());
      });
      const exchange = await drive(jwts, concurrency, ms, async (jwt) => {
        const response = await post(
          AS_PATHS.token,
          { grant_type: GRANT_TYPE.tokenExchange, subject_token: jwt, subject_token_type: TOKEN_TYPE.accessToken },
          mcp,
        );
        if (response.status !== 200) throw new Error(`exchange answered ${response.status}: ${await response.text()}`);
        await response.body?.cancel();
      });
      return { issuance, introspection, exchange };
    };
    // Unmeasured first: the JavaScript and the database's WebAssembly reach full speed only after a while.
    await phases(options.warmUpMs ?? 2_000);
    return { database: as.server.databaseLocation, ...(await phases(durationMs)) };
  } finally {
    await as.close();
  }
}

/**
 * Whole sign-ins per minute on the database of `databaseUrl`: `concurrency` users at a time, each
 * one a new browser (no session), through the mail inbox at `maildev`.
 */
export async function measureSignIns(options: {
  databaseUrl: string;
  maildev: Maildev;
  durationMs?: number;
  concurrency?: number;
}): Promise<Rate & { perMinute: number }> {
  const concurrency = options.concurrency ?? 4;
  const users = Array.from({ length: concurrency }, (_, i) => ({ email: `bench-user-${i}@demo.example`, region: 'USA' }));
  const as = await startTestAuthorizationServer({
    smtp: options.maildev.smtp,
    config: { users },
    deps: {
      database: await openDatabase(options.databaseUrl),
      limits: { registrationsPerMinute: 1_000, signInPostsPerMinute: 10_000, authorizationsPerMinute: 10_000 },
    },
  });
  try {
    const clientId = (await registerClient(as.url, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })).body
      .client_id as string;
    const rate = await drive(Array.from({ length: 1_000_000 }), concurrency, options.durationMs ?? 5_000, async (_, worker) => {
      const request = codeRequest(as.url, clientId, REDIRECT, { resource: MCP_RESOURCE });
      const signedIn = await signIn({
        authorizeUrl: request.url,
        email: users[worker]!.email,
        mailApi: options.maildev.apiUrl,
      });
      if (!signedIn.code) throw new Error(`sign-in ended without a code: ${signedIn.url.href}`);
      const response = await postForm(`${as.url}${AS_PATHS.token}`, {
        grant_type: 'authorization_code',
        client_id: clientId,
        code: signedIn.code,
        redirect_uri: REDIRECT,
        code_verifier: request.verifier,
      });
      if (response.status !== 200) throw new Error(`the code was refused (${response.status}): ${await response.text()}`);
      await response.body?.cancel();
    });
    return { ...rate, perMinute: Math.round(rate.perSecond * 60) };
  } finally {
    await as.close();
  }
}

export type DatabaseRates = AuthorizationServerRates & { name: string };

/**
 * The rates on PGlite in memory, PGlite on a folder (as `npm start` runs) and PostgreSQL
 * (TEST_DATABASE_URL, in a database of its own; skipped, saying so, without a server).
 */
export async function measureOnEveryDatabase(say: (line: string) => void, durationMs?: number): Promise<DatabaseRates[]> {
  const rows: DatabaseRates[] = [];
  const maildev = await startMaildev();
  // The sign-ins run on the same database after the first server has closed it (memory:// opens a new one).
  const run = async (name: string, databaseUrl: string) => {
    say(`Authorization server on ${name}: issuance, introspection, exchange, then sign-ins…`);
    const rates = await measureAuthorizationServerRates({ databaseUrl, durationMs });
    const signIns = await measureSignIns({ databaseUrl, maildev, durationMs });
    rows.push({ name, ...rates, signIns });
  };
  try {
    await run('PGlite in memory', 'memory://');
    const folder = await mkdtemp(join(tmpdir(), 'bench-as-'));
    try {
      await run('PGlite on a folder (npm start)', `file:${folder}`);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    const postgres = await createTestDatabase('the authorization server on PostgreSQL');
    if (postgres.skip) say(postgres.skip);
    else {
      try {
        await run('PostgreSQL (node-postgres)', postgres.url);
      } finally {
        await postgres.drop();
      }
    }
  } finally {
    await maildev.close();
  }
  return rows;
}

export function ratesTable(rows: DatabaseRates[]): string {
  return [
    '| database | issuance (refresh grants)/s | introspection/s | exchange/s | sign-ins/min |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.issuance.perSecond} | ${r.introspection.perSecond} | ${r.exchange.perSecond} | ${r.signIns?.perMinute ?? '—'} |`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const rows = await measureOnEveryDatabase((line) => console.error(line));
  console.log(`\n${ratesTable(rows)}`);
  console.log(`\n${JSON.stringify(rows)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
