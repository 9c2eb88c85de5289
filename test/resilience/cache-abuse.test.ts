/**
 * Cache abuse: thousands of distinct invalid tokens, opaque ones at the gateway and forged JWTs
 * straight at the MCP server. Every one is refused, the caches keep only successes so memory does
 * not grow with the count, and a real user is served throughout. Memory is the live heap after a
 * full collection (heap-probe.mjs): resident memory also moves with the garbage a busy heap keeps,
 * which a loaded machine makes look like growth.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import autocannon, { type Options } from 'autocannon';
import { base64url } from 'jose';
import type { PartName } from '../../infra/local/stack.ts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';
import { callTool } from '../support/mcp.ts';
import { listedIds, regionIds, signInMany } from '../support/many-users.ts';

const JOHN = { email: 'john.doe@demo.example', region: 'USA' };
/** First a batch that brings every process to its working size, then the one that is measured. */
const WARM_UP = 2_000;
const MEASURED = 3_000;
/**
 * What a process's live heap may grow by during the measured batch: a cache that kept even one
 * small entry (a hash and a few claims, ~1 KiB) per refused token would grow by about 3 MiB. (The
 * first thousands of requests grow a heap by about 1 MiB of compiled code and such, then it stays
 * within a few hundred KiB: hence the warm-up.)
 */
const MAX_GROWTH_KIB = 2_048;
/** A leak large enough to fill a capped heap ends the process, which shows too. */
const HEAP_CAP = { NODE_OPTIONS: '--max-old-space-size=128' };
const FLOODED: PartName[] = ['gateway', 'authorization-server', 'mcp-server'];

describe('thousands of invalid tokens', { timeout: 240_000 }, () => {
  let stack: TestStack;
  let token: string;

  before(async () => {
    stack = await startTestStack({}, { env: Object.fromEntries(FLOODED.map((part) => [part, HEAP_CAP])), heapProbe: FLOODED });
    [token] = (await signInMany(stack, [JOHN.email])) as [string];
  });
  after(async () => {
    await stack?.stop();
  });

  const toolCall = {
    method: 'POST' as const,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fetch-stock-prices', arguments: {} } }),
  };
  const contentTypes = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

  /** Sends `amount` requests, each with the token `bogus()` makes; gives the answers' statuses. */
  async function flood(options: Options, amount: number, bogus: () => string): Promise<Record<string, number>> {
    const result = await autocannon({
      ...options,
      amount,
      connections: 50,
      timeout: 20,
      requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${bogus()}` } }) }],
    });
    assert.equal(result.errors + result.timeouts, 0, 'every request was answered');
    return Object.fromEntries(Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, count]));
  }

  /** The stack's error lines, the last 20: what the parts logged when answers were not as expected. */
  const errorLines = () =>
    stack
      .output()
      .split('\n')
      .filter((line) => /"level":"error"|introspection_failed/.test(line))
      .slice(-20)
      .join('\n');

  async function assertFlat(parts: PartName[], run: (amount: number) => Promise<void>, t: { diagnostic(message: string): void }) {
    await run(WARM_UP);
    const before = await stack.liveHeapKiB();
    await run(MEASURED);
    for (const part of parts) assert.ok(stack.part(part).running, `${part} is no longer running:\n${stack.output()}`);
    const after = await stack.liveHeapKiB();
    t.diagnostic(`live heap (KiB) after ${WARM_UP}: ${JSON.stringify(before)}; after ${WARM_UP + MEASURED}: ${JSON.stringify(after)}`);
    for (const part of parts) {
      assert.ok(
        after[part]! - before[part]! < MAX_GROWTH_KIB,
        `${part}'s live heap grew from ${before[part]} to ${after[part]} KiB over ${MEASURED} invalid tokens`,
      );
    }
    // A real user is served all along, and still is.
    assert.deepEqual(listedIds(await callTool(stack.model.mcpResource, token, 'fetch-stock-prices')), regionIds(JOHN.region));
  }

  test('distinct invalid opaque tokens at the gateway: all refused with 401, memory flat', async (t) => {
    const options: Options = { url: stack.model.mcpResource, headers: contentTypes, ...toolCall };
    await assertFlat(
      ['gateway', 'authorization-server'],
      async (amount) => {
        const statuses = await flood(options, amount, () => randomBytes(24).toString('base64url'));
        // A 500 is the gateway's answer when introspection fails: the stack's errors say why.
        assert.deepEqual(statuses, { 401: amount }, `answers ${JSON.stringify(statuses)}; errors logged:\n${errorLines()}`);
      },
      t,
    );
  });

  test('distinct forged JWTs at the MCP server: all refused with 401, memory flat', async (t) => {
    // Well-formed tokens with the right claims, each distinct, none with a valid signature. Most name
    // the server's real key; one in 500 names a key nobody has (such a token waits out the key set's
    // fetch cool-down before it is refused, so that a key just rotated in is never missed).
    const jwks = (await (await fetch(stack.model.endpoints.jwks)).json()) as { keys: { kid: string }[] };
    const realKid = jwks.keys[0]!.kid;
    const signature = randomBytes(256).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    let n = 0;
    const forged = () => {
      const header = { alg: 'PS256', typ: 'at+jwt', kid: n % 500 ? realKid : randomBytes(8).toString('hex') };
      const claims = {
        iss: stack.model.issuer,
        aud: stack.model.mcpResource,
        sub: JOHN.email,
        region: JOHN.region,
        scope: stack.model.scope,
        iat: now,
        exp: now + 600,
        jti: String(n++),
      };
      return [header, claims].map((part) => base64url.encode(JSON.stringify(part))).join('.') + `.${signature}`;
    };
    // Straight to the MCP server, with the public Host it expects: as if the gateway let them through.
    const options: Options = {
      url: stack.info.upstreams.mcpServer,
      headers: { ...contentTypes, host: new URL(stack.model.mcpResource).host },
      ...toolCall,
    };
    await assertFlat(['mcp-server'], async (amount) => assert.deepEqual(await flood(options, amount, forged), { 401: amount }), t);
  });
});
