/**
 * Tokens stop working when they expire, everywhere in the chain, even while the gateway and the
 * MCP server hold them in their caches. The authorization server of this stack issues tokens that
 * live 2 seconds (below the deployment model's floor of 30 s, which only the server's own
 * environment can set), so the test sees a real expiry in real processes, and sees the console
 * client renew its token with its refresh token instead of signing in again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectHeadlessAgent } from '../../infra/local/headless-agent.ts';
import { mcpRequest } from '../support/mcp.ts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';
import { obtainToken } from '../support/tokens.ts';

const TTL_SECONDS = 2;

describe('token expiry through the local stack', { timeout: 120_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({}, { env: { 'authorization-server': { ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS) } } });
  });
  after(async () => {
    await stack?.stop();
  });

  test('a token stops working at the gateway when it expires, even while cached', async () => {
    const [user] = stack.users;
    const { accessToken, expiresIn } = await obtainToken(stack.model, { email: user!.email, mail: stack.info.mail });
    assert.equal(expiresIn, TTL_SECONDS);
    const call = () => mcpRequest(`${stack.info.mcp}/`, accessToken, 'tools/call', { name: 'fetch-stock-prices', arguments: {} });
    const before = await call();
    assert.equal(before.status, 200, stack.output());
    assert.ok(before.json?.result && !before.json.result.isError, JSON.stringify(before.json));
    // Wait out the token's own life (the reason for this sleep: whole processes keep real time).
    await new Promise((resolve) => setTimeout(resolve, (expiresIn + 1) * 1000));
    const after = await call();
    assert.equal(after.status, 401, 'refused at the gateway: its cache entry expired with the token');
  });

  test('the console client refreshes an expired token silently instead of signing in again', async () => {
    const [user] = stack.users;
    const progress: string[] = [];
    const agent = await connectHeadlessAgent({
      mcp: stack.info.mcp,
      mail: stack.info.mail,
      email: user!.email,
      progress: (line) => progress.push(line),
    });
    try {
      const price = async () => {
        const result = await agent.session.callTool('fetch-stock-prices', {});
        assert.ok(!result.isError, JSON.stringify(result));
      };
      await price();
      const signIns = () => progress.filter((line) => line.startsWith('Signing in')).length;
      assert.equal(signIns(), 1);
      assert.ok(
        progress.some((line) => /^Signed in: access token received \(.*with a refresh token\)/.test(line)),
        progress.join('\n'),
      );
      // Wait out the token's own life (the reason for this sleep: whole processes keep real time).
      await new Promise((resolve) => setTimeout(resolve, (TTL_SECONDS + 0.5) * 1000));
      await price();
      assert.equal(signIns(), 1, `no second sign-in:\n${progress.join('\n')}`);
      assert.ok(
        progress.some((line) => line.startsWith('Access token refreshed')),
        progress.join('\n'),
      );
    } finally {
      await agent.close();
    }
  });
});
