/**
 * Shared by the resilience tests (and the benchmark, for its tokens): many users' tokens, tool
 * calls as MCP clients make them, and the memory of the stack's processes.
 */
import { readFileSync } from 'node:fs';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { obtainToken, registerPublicClient } from './tokens.ts';
import type { LocalStack, PartName } from '../../infra/local/stack.ts';
import { stocksInRegion } from '../../services/stocks-api/stocks.ts';
import type { ToolAnswer } from './mcp.ts';

const REDIRECT_URI = 'http://127.0.0.1:8090/callback';

/** Users in both regions of the stocks API's data, so that a leak between them shows. */
export const USERS = Array.from({ length: 10 }, (_, i) => ({
  email: `user${i}@demo.example`,
  region: i % 2 === 0 ? 'USA' : 'Europe',
}));

export const regionIds = (region: string) =>
  stocksInRegion(region)
    .map((s) => s.id)
    .sort();

/** Sign-ins per source address: two limited posts each, within the server's 120 a minute. */
const SIGN_INS_PER_ADDRESS = 50;

/**
 * One opaque token per entry of `emails` (in that order). Users sign in side by side, each user's
 * sign-ins one after another (the inbox is read per address); every 50 sign-ins come from another
 * loopback address, as people on their own machines would.
 */
export async function signInMany(stack: LocalStack, emails: string[]): Promise<string[]> {
  const clientId = await registerPublicClient(stack.model, REDIRECT_URI);
  const tokens: string[] = new Array(emails.length);
  const previous = getGlobalDispatcher();
  try {
    for (let start = 0, batch = 0; start < emails.length; start += SIGN_INS_PER_ADDRESS, batch++) {
      const agent = new Agent({ localAddress: `127.0.0.${batch + 2}` });
      setGlobalDispatcher(agent);
      const lanes = new Map<string, number[]>();
      for (let i = start; i < Math.min(emails.length, start + SIGN_INS_PER_ADDRESS); i++) {
        lanes.set(emails[i]!, [...(lanes.get(emails[i]!) ?? []), i]);
      }
      await Promise.all(
        [...lanes].map(async ([email, indexes]) => {
          for (const i of indexes) {
            tokens[i] = (await obtainToken(stack.model, { email, mail: stack.info.mail, clientId, redirectUri: REDIRECT_URI })).accessToken;
          }
        }),
      );
      setGlobalDispatcher(previous);
      await agent.close();
    }
  } finally {
    setGlobalDispatcher(previous);
  }
  return tokens;
}

/** The stock ids a successful fetch-stock-prices answer lists, sorted; undefined for a failure. */
export function listedIds(answer: ToolAnswer): string[] | undefined {
  const stocks = answer.json?.result?.structuredContent?.stocks;
  if (answer.status !== 200 || answer.json?.result?.isError || !Array.isArray(stocks)) return undefined;
  return stocks.map((s: { id: string }) => s.id).sort();
}

export const toolText = (answer: ToolAnswer) => answer.json?.result?.content?.map((c) => c.text).join(' ') ?? '';

/** Resident memory of a process, in MiB (Linux). */
export function rssMiB(pid: number): number {
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kb) throw new Error(`No VmRSS for process ${pid}`);
  return Math.round(Number(kb) / 1024);
}

/** Resident memory of every running part, in MiB. */
export function memory(stack: LocalStack): Partial<Record<PartName, number>> {
  return Object.fromEntries(
    Object.entries(stack.pids())
      .filter(([, pid]) => pid !== undefined)
      .map(([name, pid]) => [name, rssMiB(pid!)]),
  );
}

/** Resolves once `condition` holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
