/**
 * Parts of the local stack fail and come back: the gateway and the MCP server answer clear
 * errors in bounded time, stay up, and work again once the part returns.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectHeadlessAgent } from '../../infra/local/headless-agent.ts';
import { obtainToken } from '../support/tokens.ts';
import { callTool, checkTokenOnly, mcpRequest, timed } from '../support/mcp.ts';
import { toolText } from '../support/many-users.ts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';

const JOHN = 'john.doe@demo.example';

describe('faults in the local stack', { timeout: 240_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack?.stop();
  });

  const listTools = (token: string) => mcpRequest(`${stack.info.mcp}/`, token, 'tools/list');

  const connect = () => connectHeadlessAgent({ mcp: `${stack.info.mcp}/`, mail: stack.info.mail, email: JOHN });

  test('the authorization server stopped: a new token gets a server error at the gateway, a tool needing an exchange a clear error; both recover', async () => {
    const needsExchange = await obtainToken(stack.model, { email: JOHN, mail: stack.info.mail });
    const unused = await obtainToken(stack.model, { email: JOHN, mail: stack.info.mail });
    // Introspection of this token is now cached at the gateway; no exchange has happened yet.
    assert.equal(await checkTokenOnly(`${stack.info.mcp}/`, needsExchange.accessToken), 405);

    await stack.part('authorization-server').stop();

    const atGateway = await listTools(unused.accessToken);
    assert.equal(atGateway.status, 500, 'introspection impossible: a server error, never a pass');
    assert.ok(atGateway.ms < 15_000, `answered in ${atGateway.ms} ms`);

    const tool = await callTool(`${stack.info.mcp}/`, needsExchange.accessToken, 'fetch-stock-prices');
    assert.equal(tool.json?.result?.isError, true, JSON.stringify(tool.json));
    assert.match(toolText(tool), /cannot be reached for the token exchange/);
    assert.ok(tool.ms < 15_000, `answered in ${tool.ms} ms`);
    assert.ok((await fetch(`${stack.info.upstreams.mcpServer}/health`)).ok, 'the MCP server stays up');

    await stack.part('authorization-server').start();
    // Its tokens and keys lived in memory: sign in again; the resource servers fetch its new key.
    const agent = await connect();
    try {
      const result = await agent.session.callTool('fetch-stock-prices', {});
      assert.ok(!result.isError, JSON.stringify(result));
    } finally {
      await agent.close();
    }
  });

  test('the API stopped: the tool answers a clear error, the MCP server stays up, and recovers when the API returns', async () => {
    const agent = await connect();
    try {
      assert.ok(!(await agent.session.callTool('fetch-stock-prices', {})).isError);
      await stack.part('stocks-api').stop();

      const tool = await timed(() => agent.session.callTool('fetch-stock-prices', {}));
      assert.equal(tool.value.isError, true);
      assert.match(JSON.stringify(tool.value.content), /stocks API|unavailable|try again/i);
      assert.ok(tool.ms < 15_000, `answered in ${tool.ms} ms`);
      assert.ok((await fetch(`${stack.info.upstreams.mcpServer}/health`)).ok, 'the MCP server stays up');

      await stack.part('stocks-api').start();
      const again = await agent.session.callTool('fetch-stock-prices', {});
      assert.ok(!again.isError, JSON.stringify(again));
    } finally {
      await agent.close();
    }
  });
});
