/**
 * The whole flow of the design, for real, through the development gateway: discovery,
 * registration, authorization code with PKCE and `resource`, sign-in with a one-time code from
 * the mail inbox, consent, an opaque token, and tool calls that reach the API with an exchanged
 * token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectHeadlessAgent } from '../../infra/local/headless-agent.ts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';

describe('the full flow through the local stack', { timeout: 120_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack?.stop();
  });

  test('an MCP client discovers, registers, signs in and calls both tools; each user sees only their region', async () => {
    for (const [email, region, own, foreign] of [
      ['john.doe@demo.example', 'USA', 'COM1', 'COM2'],
      ['jane.test@demo.example', 'Europe', 'COM2', 'COM1'],
    ] as const) {
      const steps: string[] = [];
      const agent = await connectHeadlessAgent({ mcp: `${stack.info.mcp}/`, mail: stack.info.mail, email, progress: (l) => steps.push(l) });
      try {
        assert.ok(
          steps.some((s) => /registered dynamically/.test(s)),
          steps.join('\n'),
        );
        const tools = await agent.session.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), ['fetch-stock-prices', 'get-stock-price']);

        const all = await agent.session.callTool('fetch-stock-prices', {});
        assert.ok(!all.isError, JSON.stringify(all));
        const text = JSON.stringify(all.content);
        assert.ok(text.includes(own), text);
        assert.ok(!text.includes(foreign), `${email} (${region}) must not see ${foreign}: ${text}`);

        const one = await agent.session.callTool('get-stock-price', { id: own });
        assert.ok(!one.isError, JSON.stringify(one));
        assert.ok(JSON.stringify(one.content).includes(own));

        const outside = await agent.session.callTool('get-stock-price', { id: foreign });
        assert.equal(outside.isError, true, `${foreign} is outside ${region}: ${JSON.stringify(outside)}`);
        assert.ok(
          steps.every((s) => !/[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}\./.test(s)),
          'no JWT in the client output',
        );
      } finally {
        await agent.close();
      }
    }
  });
});
