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

/** Calls made before the rotation, by the callers signed in before it (so that calls are in flight when the key changes). */
const CALLS_BEFORE = 5;
/** Calls made with each token once the key has changed. */
const CALLS_AFTER = 10;

describe('signing key rotation while calls run', { timeout: 180_000 }, () => {
  let stack: TestStack;
  let earlyTokens: string[];

  before(async () => {
    stack = await startTestStack({ users: USERS });
    // Half start calling at once; the other half first call after the rotation (their exchange then
    // yields an API token signed with the new key).
    earlyTokens = await signInMany(
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
    let rotationDone = false;
    /** Calls with `token` until `enough` says so. */
    const run = async (token: string, user: (typeof USERS)[number], enough: (made: number) => boolean) => {
      for (let made = 0; !enough(made); made++) {
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
    const early = USERS.map((u, i) => run(earlyTokens[i]!, u, () => rotationDone));
    const rotated = (async () => {
      // Calls under way first, so the rotation happens among them.
      await waitFor(() => calls >= USERS.length * CALLS_BEFORE, 60_000, 'calls before the rotation');
      process.kill(stack.pids()['authorization-server']!, 'SIGUSR2');
      await waitFor(() => /signing key rotated/.test(stack.output()), 10_000, 'the key rotation');
      // Tokens issued from now on are signed with the new key.
      const late = await signInMany(
        stack,
        USERS.map((u) => u.email),
      );
      await Promise.all([
        ...late.map((token, i) => run(token, USERS[i]!, (made) => made >= CALLS_AFTER)),
        ...USERS.map((u, i) => run(earlyTokens[USERS.length + i]!, u, (made) => made >= CALLS_AFTER)),
      ]);
    })().finally(() => (rotationDone = true));
    await Promise.all([...early, rotated]);
    t.diagnostic(`${calls} tool calls`);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${calls} calls failed`);
  });
});
