/**
 * Key rotation: the authorization server signs with a new key (SIGUSR2) while clients call tools.
 * Calls with tokens signed before go on, tokens exchanged after (signed with the new key) are
 * accepted by the API, and users who sign in after get tokens the MCP server accepts: no call fails.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestStack, type TestStack } from '../support/local-stack.ts';
import { callTool } from '../support/mcp.ts';
import { listedIds, regionIds, signInMany, USERS, waitFor } from '../support/many-users.ts';

const RUN_MS = 8_000;

describe('signing key rotation while calls run', { timeout: 180_000 }, () => {
  let stack: TestStack;
  let early: string[];

  before(async () => {
    stack = await startTestStack({ users: USERS });
    // Half start calling at once; the other half first call after the rotation (their exchange then
    // yields an API token signed with the new key).
    early = await signInMany(
      stack,
      [...USERS, ...USERS].map((u) => u.email),
    );
  });
  after(async () => {
    await stack?.stop();
  });

  test('no call fails, before, during or after the rotation', async (t) => {
    const failures: string[] = [];
    let calls = 0;
    const deadline = Date.now() + RUN_MS;
    const run = async (token: string, user: (typeof USERS)[number]) => {
      while (Date.now() < deadline) {
        const answer = await callTool(stack.model.mcpResource, token, 'fetch-stock-prices').catch((err: Error) => err);
        calls++;
        if (answer instanceof Error) failures.push(`${user.email}: ${answer.message}`);
        else if (JSON.stringify(listedIds(answer)) !== JSON.stringify(regionIds(user.region))) {
          failures.push(
            `${user.email}: HTTP ${answer.status} ${answer.wwwAuthenticate ?? ''} ${JSON.stringify(answer.json).slice(0, 200)}`,
          );
        }
      }
    };
    const rotated = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      process.kill(stack.pids()['authorization-server']!, 'SIGUSR2');
      await waitFor(() => /signing key rotated/.test(stack.output()), 10_000, 'the key rotation');
      // Tokens issued from now on are signed with the new key.
      const late = await signInMany(
        stack,
        USERS.map((u) => u.email),
      );
      await Promise.all([...late.map((token, i) => run(token, USERS[i]!)), ...USERS.map((u, i) => run(early[USERS.length + i]!, u))]);
    })();
    await Promise.all([...USERS.map((u, i) => run(early[i]!, u)), rotated]);
    t.diagnostic(`${calls} tool calls`);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${calls} calls failed`);
  });
});
