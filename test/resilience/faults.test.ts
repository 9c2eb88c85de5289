/**
 * Faults: the authorization server and the API made slow (beyond every time-out) and then
 * unreachable by a proxy in front of them, and the mail server stopped during a sign-in. Callers
 * get clear errors within bounded time, nothing hangs or crashes, callers whose tokens are cached
 * are not disturbed, and everything works again once the part is back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { authorizationRequest, registerPublicClient } from '../support/tokens.ts';
import type { Model } from '../../infra/model.ts';
import { expectForm, mailboxSnapshot, readCode, UserAgent } from '../../infra/local/headless-sign-in.ts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { callTool, checkTokenOnly } from '../support/mcp.ts';
import { listedIds, regionIds, signInMany, toolText, waitFor } from '../support/many-users.ts';

const JOHN = { email: 'john.doe@demo.example', region: 'USA' };
const INTROSPECTION_TIMEOUT_MS = 3_000;
/** The MCP server's time-outs for the token exchange and for API calls. */
const UPSTREAM_TIMEOUT_MS = 5_000;
/** Slack for a loaded 2-core machine on top of a time-out. */
const SLACK_MS = 4_000;

describe('faults in the stack', { timeout: 240_000 }, () => {
  let stack: TestStack;
  let authorizationServer: FaultProxy;
  let api: FaultProxy;

  before(async () => {
    stack = await startTestStack(
      {},
      {
        env: { gateway: { GATEWAY_INTROSPECTION_TIMEOUT_MS: String(INTROSPECTION_TIMEOUT_MS) } },
        interpose: {
          authorizationServer: async (direct) => (authorizationServer = await startFaultProxy(direct)).url,
          stocksApi: async (direct) => (api = await startFaultProxy(direct)).url,
        },
      },
    );
  });
  after(async () => {
    await stack?.stop();
    await authorizationServer?.close();
    await api?.close();
  });

  const mcp = () => stack.model.mcpResource;
  const own = regionIds(JOHN.region);
  const assertAllRunning = () => {
    for (const [part, pid] of Object.entries(stack.pids())) assert.ok(pid, `${part} is no longer running:\n${stack.output()}`);
  };

  test('the authorization server slow, then down: cached callers carry on, others get clear errors in time, and all recover', async () => {
    const [cached, introspected, fresh] = await signInMany(stack, [JOHN.email, JOHN.email, JOHN.email]);
    assert.deepEqual(listedIds(await callTool(mcp(), cached!, 'fetch-stock-prices')), own);
    // The gateway now holds this token's JWT, but the MCP server has not exchanged it yet.
    assert.equal(await checkTokenOnly(mcp(), introspected!), 405);

    for (const [mode, slowest] of [
      ['stall', INTROSPECTION_TIMEOUT_MS],
      ['down', 0],
    ] as const) {
      authorizationServer.set(mode);

      const carryOn = await callTool(mcp(), cached!, 'fetch-stock-prices');
      assert.deepEqual(listedIds(carryOn), own, `${mode}: a caller with cached tokens needs no authorization server`);

      const newToken = await callTool(mcp(), fresh!, 'fetch-stock-prices');
      assert.equal(newToken.status, 500, `${mode}: introspection impossible is a server error, never a pass`);
      assert.ok(newToken.ms < slowest + SLACK_MS, `${mode}: the gateway answered in ${Math.round(newToken.ms)} ms`);

      const exchange = await callTool(mcp(), introspected!, 'fetch-stock-prices');
      assert.equal(exchange.status, 200);
      assert.equal(exchange.json?.result?.isError, true);
      assert.match(
        toolText(exchange),
        mode === 'stall' ? /did not answer the token exchange within 5 s/ : /cannot be reached for the token exchange/,
      );
      assert.ok(
        exchange.ms < (mode === 'stall' ? UPSTREAM_TIMEOUT_MS : 0) + SLACK_MS,
        `${mode}: the tool answered in ${Math.round(exchange.ms)} ms`,
      );
      assertAllRunning();
    }

    authorizationServer.set('pass');
    assert.deepEqual(listedIds(await callTool(mcp(), fresh!, 'fetch-stock-prices')), own);
    assert.deepEqual(listedIds(await callTool(mcp(), introspected!, 'fetch-stock-prices')), own);
  });

  test('the API slow, then down: a clear tool error within the time-out, and recovery', async () => {
    const [token] = await signInMany(stack, [JOHN.email]);
    assert.deepEqual(listedIds(await callTool(mcp(), token!, 'fetch-stock-prices')), own);

    for (const [mode, message, slowest] of [
      ['stall', /did not answer within 5 s/, UPSTREAM_TIMEOUT_MS],
      ['down', /cannot be reached/, 0],
    ] as const) {
      api.set(mode);
      const answer = await callTool(mcp(), token!, 'fetch-stock-prices');
      assert.equal(answer.status, 200);
      assert.equal(answer.json?.result?.isError, true);
      assert.match(toolText(answer), message);
      assert.ok(answer.ms < slowest + SLACK_MS, `${mode}: the tool answered in ${Math.round(answer.ms)} ms`);
      assertAllRunning();
    }

    api.set('pass');
    assert.deepEqual(listedIds(await callTool(mcp(), token!, 'fetch-stock-prices')), own);
  });

  test('the mail server down during sign-in: the pages answer at once, the failure is logged, the code arrives once it is back, and a new code completes the sign-in', async () => {
    const agent = new UserAgent();
    const start = await agent.navigate(await authorizeUrl(stack.model));
    const emailForm = expectForm(start, 'email', 'Sign-in page');

    await stack.part('mail').stop();
    const started = performance.now();
    const codePage = await agent.submit(emailForm, { email: JOHN.email });
    assert.ok(performance.now() - started < SLACK_MS, 'the sign-in does not wait for the mail server');
    expectForm(codePage, 'otp', 'Code page');
    await waitFor(() => /Could not send sign-in code mail/.test(stack.output()), 10_000, 'the failure to send is logged');
    assert.ok((await fetch(`${stack.info.upstreams.authorizationServer}/health`)).ok);

    await stack.part('mail').start();
    // The queue tries the mail again (after 2 s, then 4 s, …) and delivers it to the restarted inbox.
    await readCode({ mailApi: stack.info.mail, email: JOHN.email, timeoutMs: 20_000 });
    // The person asks for a new code from the same sign-in anyway.
    const seen = await mailboxSnapshot(stack.info.mail, JOHN.email);
    const again = await agent.submit(expectForm(await agent.navigate(emailForm.action), 'email', 'Sign-in page'), { email: JOHN.email });
    const otp = await readCode({ mailApi: stack.info.mail, email: JOHN.email, exclude: seen });
    const consent = expectForm(await agent.submit(expectForm(again, 'otp', 'Code page'), { otp }), 'decision', 'Consent page');
    const done = await agent.submit(consent, {}, { name: 'decision', value: 'approve' });
    const redirect = new URL(done.location ?? 'about:blank');
    assert.ok(redirect.searchParams.get('code'), `the sign-in completes: ${done.status} ${done.location}`);
    assertAllRunning();
  });
});

async function authorizeUrl(model: Model): Promise<string> {
  const redirectUri = 'http://127.0.0.1:8090/callback';
  return authorizationRequest(model, { clientId: await registerPublicClient(model, redirectUri), redirectUri }).url;
}
