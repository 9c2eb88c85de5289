/**
 * The authorization server's database fails: at start, the local stack names the failing part and
 * the database's own message; while running, under load, requests that need the database answer
 * 503 `temporarily_unavailable` within their time-outs (connection refused, then a server that
 * accepts connections and never answers), the server recovers by itself when the database
 * returns, and nothing it acknowledged is lost. The outage is a TCP proxy this test controls
 * between the server and its own database: the shared PostgreSQL server is never touched.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AS_PATHS, basicAuthorization } from '@mcp-secured-api/contracts';
import { freePorts } from '../../infra/local/ports.ts';
import { startFaultProxy, type FaultMode, type FaultProxy } from '../support/fault-proxy.ts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';
import { createTestDatabase, queryTestDatabase } from '../support/postgres.ts';
import { obtainToken, type ObtainedToken } from '../support/tokens.ts';

const JOHN = 'john.doe@demo.example';

describe('the database out of reach at start', { timeout: 120_000 }, () => {
  test('the local stack names the authorization server and says why, without the password', async () => {
    const [port] = await freePorts(1);
    await assert.rejects(
      startTestStack({}, { databaseUrl: `postgres://authorization_server:pw-s3cret@127.0.0.1:${port}/authorization_server` }),
      (error: Error) => {
        assert.match(error.message, /^authorization-server: exited during start/);
        assert.match(
          error.message,
          new RegExp(`Cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port} \\(database authorization_server\\): .*ECONNREFUSED`),
        );
        assert.doesNotMatch(error.message, /pw-s3cret/);
        return true;
      },
    );
  });
});

const database = await createTestDatabase('the authorization server losing its PostgreSQL database');

describe('the database lost and back under load', { skip: database.skip, timeout: 180_000 }, () => {
  let proxy: FaultProxy;
  let stack: TestStack;

  before(async () => {
    if (database.skip) return;
    proxy = await startFaultProxy(database.url);
    const url = new URL(database.url);
    url.host = new URL(proxy.url).host;
    // The test registers at the server directly with a made-up X-Forwarded-For per request, as the
    // gateway would pass on many clients': it stands for the gateway, so the server believes it.
    stack = await startTestStack({}, { databaseUrl: url.href, env: { 'authorization-server': { TRUSTED_PROXIES: '127.0.0.1' } } });
  });
  after(async () => {
    await stack?.stop();
    await proxy?.close();
    await database.drop();
  });

  test('503 within the time-outs while it is away, recovery without a restart, nothing acknowledged lost', async (t) => {
    const server = stack.info.upstreams.authorizationServer;
    // One after the other: each sign-in reads the user's latest code from the inbox.
    const tokens: ObtainedToken[] = [];
    for (let i = 0; i < 3; i++) tokens.push(await obtainToken(stack.model, { email: JOHN, mail: stack.info.mail }));
    const answers: { phase: FaultMode; status: number; ms: number; error?: string; retryAfter: string | null }[] = [];
    const acknowledged: string[] = [];
    let n = 0;
    let running = true;

    const call = async (request: () => Promise<Response>, onSuccess?: (response: Response) => Promise<void>) => {
      const phase = proxy.mode;
      const started = performance.now();
      let response: Response;
      try {
        response = await request();
      } catch (error) {
        answers.push({ phase, status: 0, ms: performance.now() - started, error: (error as Error).name, retryAfter: null });
        return;
      }
      const ms = performance.now() - started;
      if (response.ok && onSuccess) await onSuccess(response);
      const body = response.ok
        ? (await response.body?.cancel(), undefined)
        : ((await response.json().catch(() => ({}))) as { error?: string });
      answers.push({ phase, status: response.status, ms, error: body?.error, retryAfter: response.headers.get('retry-after') });
    };
    const register = () =>
      call(
        () =>
          fetch(`${server}${AS_PATHS.registration}`, {
            method: 'POST',
            // One address per request, as from many clients behind the gateway: the rate limit stays out of the way.
            headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${n++ % 250}` },
            body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:8090/callback'], token_endpoint_auth_method: 'none' }),
            signal: AbortSignal.timeout(20_000),
          }),
        async (response) => {
          acknowledged.push(((await response.clone().json()) as { client_id: string }).client_id);
        },
      );
    const introspect = () =>
      call(() =>
        fetch(`${server}${AS_PATHS.introspect}`, {
          method: 'POST',
          headers: {
            authorization: basicAuthorization(stack.model.clients.gateway.id, stack.secrets.gatewayClientSecret),
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/jwt',
          },
          body: new URLSearchParams({ token: tokens[n++ % tokens.length]!.accessToken }),
          signal: AbortSignal.timeout(20_000),
        }),
      );
    const loop = async (work: () => Promise<void>) => {
      while (running) await work();
    };
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const loops = [register, register, introspect, introspect, introspect].map(loop);

    // The reasons for these waits: long enough for several requests per phase, and for the stall
    // to outlast the server's 5-second connection and query time-outs.
    await sleep(1_000);
    proxy.set('down');
    await sleep(2_000);
    proxy.set('stall');
    await sleep(6_000);
    proxy.set('pass');
    const back = Date.now();
    while (Date.now() - back < 20_000 && !answers.slice(-5).every((a) => a.phase === 'pass' && a.status >= 200 && a.status < 300)) {
      await sleep(100);
    }
    const recoveredInMs = Date.now() - back;
    await sleep(1_000);
    running = false;
    await Promise.all(loops);

    const during = answers.filter((a) => a.phase !== 'pass');
    const unexpected = answers.filter((a) => ![200, 201, 503].includes(a.status));
    assert.deepEqual(
      unexpected.slice(0, 5),
      [],
      `${unexpected.length} answers other than 200, 201 or 503:\n${stack.output().slice(-3_000)}`,
    );
    assert.ok(
      during.some((a) => a.status === 503),
      'requests needing the database were refused while it was away',
    );
    for (const a of answers.filter((x) => x.status === 503)) {
      assert.equal(a.error, 'temporarily_unavailable');
      assert.equal(a.retryAfter, '5');
    }
    const slowest = Math.max(...answers.map((a) => a.ms));
    t.diagnostic(
      `${answers.length} answers, ${answers.filter((a) => a.status === 503).length} of them 503; slowest ${Math.round(slowest)} ms; ` +
        `${acknowledged.length} registrations acknowledged; recovered ${recoveredInMs} ms after the database came back`,
    );
    assert.ok(slowest < 12_000, `the slowest answer took ${Math.round(slowest)} ms`);
    assert.ok(recoveredInMs < 20_000, 'answers succeed again once the database is back');

    const stored = await queryTestDatabase<{ client_id: string }>(database.url, 'SELECT client_id FROM clients WHERE client_id = ANY($1)', [
      acknowledged,
    ]);
    assert.equal(stored.length, acknowledged.length, 'every acknowledged registration is in the database');
    assert.ok(acknowledged.length > 0);
  });
});
