/**
 * Load: 100 MCP clients (the SDK's client), each with its own user's token, call tools at once for
 * a fixed time through the gateway. No call fails, every answer holds only the caller's region, and
 * every process's memory stays bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startTestStack, type TestStack } from '../support/local-stack.ts';
import { memory, regionIds, signInMany, USERS } from '../support/many-users.ts';

const CLIENTS = 100;
const RUN_MS = 3_000;
/** Resident memory any part may reach after the load (MiB); a Node service at rest uses ~100. */
const MAX_RSS_MIB = 400;
/** The authorization server also holds its embedded database (PGlite's WebAssembly PostgreSQL, ~170 MiB more at rest). */
const MAX_RSS_MIB_OF: Partial<Record<string, number>> = { 'authorization-server': 640 };

describe('100 MCP clients with their own tokens at once', { timeout: 240_000 }, () => {
  let stack: TestStack;
  let tokens: string[];
  const userOf = (i: number) => USERS[i % USERS.length]!;

  before(async () => {
    stack = await startTestStack({ users: USERS });
    tokens = await signInMany(
      stack,
      Array.from({ length: CLIENTS }, (_, i) => userOf(i).email),
    );
  });
  after(async () => {
    await stack?.stop();
  });

  test('no errors, no answer for one user reaches another, memory bounded', async (t) => {
    const clients = await Promise.all(
      tokens.map(async (token) => {
        const client = new Client({ name: 'load-test', version: '1.0.0' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(stack.model.mcpResource), {
            requestInit: { headers: { authorization: `Bearer ${token}` } },
          }),
        );
        return client;
      }),
    );
    const failures: string[] = [];
    let calls = 0;
    const deadline = Date.now() + RUN_MS;
    try {
      await Promise.all(
        clients.map(async (client, i) => {
          const { email, region } = userOf(i);
          const own = regionIds(region);
          const foreign = regionIds(region === 'USA' ? 'Europe' : 'USA');
          for (let n = 0; Date.now() < deadline; n++) {
            try {
              if (n % 4 === 3) {
                // One stock by id: the caller's own is found, another region's is not.
                const id = n % 8 === 3 ? own[0]! : foreign[0]!;
                const result = (await client.callTool({ name: 'get-stock-price', arguments: { id } })) as CallToolResult;
                const found = (result.structuredContent as { id?: string } | undefined)?.id;
                const expected = own.includes(id) ? id : undefined;
                if (Boolean(result.isError) !== (expected === undefined) || found !== expected) {
                  failures.push(`${email} (${region}) asked for ${id}: ${JSON.stringify(result).slice(0, 200)}`);
                }
              } else {
                const result = (await client.callTool({ name: 'fetch-stock-prices' })) as CallToolResult;
                const ids = ((result.structuredContent as { stocks?: { id: string }[] } | undefined)?.stocks ?? []).map((s) => s.id).sort();
                if (result.isError || JSON.stringify(ids) !== JSON.stringify(own)) {
                  failures.push(`${email} (${region}) listed ${JSON.stringify(ids)}: ${JSON.stringify(result).slice(0, 200)}`);
                }
              }
            } catch (err) {
              failures.push(`${email}: ${(err as Error).message}`);
            }
            calls++;
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    const rss = memory(stack);
    t.diagnostic(`${calls} tool calls by ${CLIENTS} clients in ${RUN_MS / 1000} s; resident memory after (MiB): ${JSON.stringify(rss)}`);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${calls} calls failed`);
    assert.ok(calls >= CLIENTS * 2, `only ${calls} calls completed`);
    for (const [part, mib] of Object.entries(rss)) {
      assert.ok(mib! < (MAX_RSS_MIB_OF[part] ?? MAX_RSS_MIB), `${part} holds ${mib} MiB after the load`);
    }
  });
});
