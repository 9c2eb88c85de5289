/**
 * `npm run bench`: what security costs a tool call. Starts the local stack (and a second one whose
 * MCP server exchanges on every call, and the same chain without security), signs a test user in
 * headlessly, then drives load on loopback with autocannon, alternating the variants round by
 * round so that the machine's drift spreads over all of them:
 *
 *   1 api-direct           the stocks API called directly with an API-audience JWT (the floor)
 *   2 mcp-secured          tools/call through the gateway with the opaque token, caches warm
 *   3 mcp-insecure         the same chain with security taken out (benchmark-only composition)
 *   4 mcp-exchange-uncached  the secured chain with the MCP server's exchange cache off
 *   5 mcp-cold             a new token's first call (introspection and exchange both miss), one
 *                          at a time, compared with the same token's second call
 *
 * Prints a table and writes bench-results.json (or --out <path>).
 * Options: --duration <s per variant and round> --rounds <n> --connections <n> --cold <tokens per round>
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon, { type Options, type Result } from 'autocannon';
import { decodeJwt } from 'jose';
import { readStackFile } from '../../infra/local/stack-file.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { createTokenExchanger } from '../../services/mcp-server/token-exchange.ts';
import type { AccessTokenClaims } from '../../services/security/verify-access-token.ts';
import { stocksInRegion } from '../../services/stocks-api/stocks.ts';
import { signInMany } from '../support/many-users.ts';
import { startInsecureChain, type InsecureChain } from './insecure-chain.ts';
import { basicAuthorization } from '@mcp-secured-api/contracts';

const VARIANTS = ['api-direct', 'mcp-secured', 'mcp-insecure', 'mcp-exchange-uncached', 'mcp-cold'] as const;
type Variant = (typeof VARIANTS)[number];
const TARGETS = { securityTax: 0.85, cacheGain: 2 };

const { values: flags } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench-results.json' },
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '7' },
    connections: { type: 'string', default: '50' },
    cold: { type: 'string', default: '6' },
  },
});
const settings = {
  durationSeconds: positive('duration', flags.duration),
  rounds: positive('rounds', flags.rounds),
  connections: positive('connections', flags.connections),
  coldTokensPerRound: positive('cold', flags.cold),
};

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a whole number of at least 1, not "${value}"`);
    process.exit(2);
  }
  return n;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: round2(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
};
const say = (line: string) => process.stdout.write(`${line}\n`);

/** The parts' output, kept to explain a failure. */
const recent: string[] = [];
const log = (part: string, line: string) => {
  recent.push(`[${part}] ${line}`);
  if (recent.length > 60) recent.shift();
};

interface Sample {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time each process of the chain used, in milliseconds. */
  cpuMs?: Record<string, number>;
}

const CHAIN = ['gateway', 'mcp-server', 'stocks-api', 'authorization-server'] as const;

/** CPU time a process has used so far, in milliseconds (Linux's /proc; undefined elsewhere). */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name: state is field 3, utime and stime are fields 14 and 15, in 10 ms ticks.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** The CPU time each named process uses while `work` runs. */
async function measureCpu<T>(
  pids: Record<string, number | undefined>,
  work: () => Promise<T>,
): Promise<{ value: T; cpuMs: Record<string, number> }> {
  const before = Object.entries(pids).map(([name, pid]) => [name, pid, cpuMs(pid)] as const);
  const value = await work();
  const used: Record<string, number> = {};
  for (const [name, pid, start] of before) {
    const end = cpuMs(pid);
    if (start !== undefined && end !== undefined) used[name] = end - start;
  }
  return { value, cpuMs: used };
}

const running: { stop(): Promise<void> }[] = [];

async function main(): Promise<void> {
  const started = Date.now();
  const config = await readStackFile('dev');
  const user = config.users[0]!;
  const region = stocksInRegion(user.region).map((s) => s.id);

  say(`Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}`);
  say(
    `${settings.rounds} rounds of ${settings.durationSeconds} s per variant at ${settings.connections} connections, ${settings.coldTokensPerRound} first calls per round.`,
  );
  say('Starting the local stack, a second one without the exchange cache, and the chain without security…');
  const [secured, uncached] = await Promise.all([
    startLocalStack({ config, basePort: 0, log }),
    startLocalStack({ config, basePort: 0, log, env: { 'mcp-server': { EXCHANGE_CACHE_ENTRIES: '0' } } }),
  ]);
  running.push(secured, uncached);
  const insecure: InsecureChain = await startInsecureChain({ config, user, secrets: secured.secrets, log });
  running.push(insecure);

  const coldCount = settings.rounds * settings.coldTokensPerRound;
  say(`Signing ${user.email} in headlessly (${coldCount + 2} tokens: one per stack, ${coldCount} for first calls)…`);
  const [warm, ...cold] = (await signInMany(secured, Array<string>(coldCount + 1).fill(user.email))) as [string, ...string[]];
  const [uncachedToken] = (await signInMany(uncached, [user.email])) as [string];
  const apiToken = await apiTokenFor(secured, warm);

  const verifyBody = (body: string) => region.every((id) => body.includes(`"${id}"`)) && !body.includes('"isError":true');
  const toolCall = (url: string, bearer?: string): Options => ({
    url,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fetch-stock-prices', arguments: {} } }),
    verifyBody,
  });
  const chainOf = (pids: Record<string, number | undefined>) => Object.fromEntries(CHAIN.filter((n) => n in pids).map((n) => [n, pids[n]]));
  const processes: Record<Exclude<Variant, 'mcp-cold'>, Record<string, number | undefined>> = {
    'api-direct': { 'stocks-api': secured.pids()['stocks-api'] },
    'mcp-secured': chainOf(secured.pids()),
    'mcp-insecure': chainOf(insecure.pids()),
    'mcp-exchange-uncached': chainOf(uncached.pids()),
  };
  const loads: Record<Exclude<Variant, 'mcp-cold'>, Options> = {
    'api-direct': { url: `${secured.info.upstreams.stocksApi}/stocks`, headers: { authorization: `Bearer ${apiToken}` }, verifyBody },
    'mcp-secured': toolCall(secured.model.mcpResource, warm),
    'mcp-insecure': toolCall(insecure.mcpUrl),
    'mcp-exchange-uncached': toolCall(uncached.model.mcpResource, uncachedToken),
  };

  // One request each first: a variant that cannot answer stops the run with the reason.
  for (const [variant, options] of Object.entries(loads)) {
    const response = await fetch(options.url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      body: options.body,
      signal: AbortSignal.timeout(10_000),
    });
    const body = await response.text();
    if (!response.ok || !verifyBody(body))
      throw new Error(`${variant} does not answer as expected (HTTP ${response.status}): ${body.slice(0, 300)}`);
  }
  say('Warming up each variant for 1 s…');
  for (const options of Object.values(loads)) await load(options, 1);

  const samples = Object.fromEntries(VARIANTS.map((v) => [v, [] as Sample[]])) as Record<Variant, Sample[]>;
  const secondCalls: number[] = [];
  const order = Object.keys(loads) as Exclude<Variant, 'mcp-cold'>[];
  for (let round = 1; round <= settings.rounds; round++) {
    // Each round starts with another variant, so none always runs first or last.
    const first = (round - 1) % order.length;
    const rotated = [...order.slice(first), ...order.slice(0, first)];
    for (const variant of rotated) {
      process.stdout.write(`Round ${round}/${settings.rounds} · ${variant.padEnd(22)} ${settings.durationSeconds} s… `);
      const { value: result, cpuMs } = await measureCpu(processes[variant], () => load(loads[variant], settings.durationSeconds));
      const sample = { ...fromAutocannon(result), cpuMs };
      samples[variant].push(sample);
      say(`${fmt(sample.requests / sample.seconds, 0)} req/s, p50 ${sample.p50} ms, p99 ${sample.p99} ms, ${sample.errors} errors`);
    }
    process.stdout.write(`Round ${round}/${settings.rounds} · ${'mcp-cold'.padEnd(22)} ${settings.coldTokensPerRound} first calls… `);
    const sample = await firstCalls(toolCall(secured.model.mcpResource), cold.splice(0, settings.coldTokensPerRound), verifyBody);
    samples['mcp-cold'].push(sample);
    secondCalls.push(sample.secondP50);
    say(`p50 ${sample.p50} ms, p99 ${sample.p99} ms (second call p50 ${sample.secondP50} ms), ${sample.errors} errors`);
  }

  const variants = Object.fromEntries(VARIANTS.map((v) => [v, summarise(samples[v])])) as Record<Variant, ReturnType<typeof summarise>>;
  // Each round's ratio compares variants measured moments apart; the median of the rounds' ratios
  // keeps a burst of load from elsewhere on the machine in one round from deciding the result.
  const rate = (s: Sample) => s.requests / s.seconds;
  const perRound = (a: Variant, b: Variant) => samples[a].map((s, i) => round2(rate(s) / rate(samples[b][i]!)));
  const ratiosPerRound = {
    securityTax: perRound('mcp-secured', 'mcp-insecure'),
    cacheGain: perRound('mcp-secured', 'mcp-exchange-uncached'),
  };
  const ratios = {
    securityTax: median(ratiosPerRound.securityTax),
    cacheGain: median(ratiosPerRound.cacheGain),
    // Against the same tokens' second calls: both one call at a time, unlike variant 2 under load.
    coldOverWarmLatency: round2(variants['mcp-cold'].p50 / median(secondCalls)),
  };
  const errors = VARIANTS.reduce((n, v) => n + variants[v].errors, 0);
  const targetsMet = ratios.securityTax >= TARGETS.securityTax && ratios.cacheGain >= TARGETS.cacheGain && errors === 0;

  say('');
  say(table(variants));
  say('');
  say(`security tax (2÷3, req/s)       ${ratios.securityTax.toFixed(2)}   target ≥ ${TARGETS.securityTax}   median of the rounds' ratios`);
  say(`cache gain (2÷4, req/s)         ${ratios.cacheGain.toFixed(2)}   target ≥ ${TARGETS.cacheGain}   median of the rounds' ratios`);
  say(
    `cold over warm (5÷2, p50)       ${ratios.coldOverWarmLatency.toFixed(2)}   first call over the same token's second, one call at a time`,
  );
  say(`errors                          ${errors}`);
  say(targetsMet ? 'Targets met.' : 'Targets NOT met.');

  const out = resolve(flags.out);
  const results = {
    measuredAt: new Date().toISOString(),
    machine,
    settings,
    variants,
    secondCallP50: median(secondCalls),
    ratios,
    ratiosPerRound,
    targets: { ...TARGETS, errors: 0, met: targetsMet },
  };
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  say(`Results written to ${out} (${Math.round((Date.now() - started) / 1000)} s in all).`);
}

function load(options: Options, duration: number): Promise<Result> {
  return Promise.resolve(autocannon({ connections: settings.connections, timeout: 10, ...options, duration }));
}

function fromAutocannon(r: Result): Sample {
  return {
    requests: r.requests.total,
    seconds: r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx + r.mismatches,
  };
}

/**
 * A new token's first call (the gateway introspects, the MCP server exchanges), then its second
 * (both cached), one call at a time, so that the two latencies compare like for like.
 */
async function firstCalls(options: Options, tokens: string[], verify: (body: string) => boolean): Promise<Sample & { secondP50: number }> {
  const first: number[] = [];
  const second: number[] = [];
  let errors = 0;
  const call = async (token: string, into: number[]) => {
    const started = performance.now();
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { ...options.headers, authorization: `Bearer ${token}` },
        body: options.body,
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok || !verify(await response.text())) errors++;
    } catch {
      errors++;
    }
    into.push(performance.now() - started);
  };
  const started = performance.now();
  for (const token of tokens) {
    await call(token, first);
    await call(token, second);
  }
  const at = (list: number[], q: number) => {
    const sorted = [...list].sort((a, b) => a - b);
    return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
  };
  return {
    requests: tokens.length,
    seconds: (performance.now() - started) / 1000,
    p50: at(first, 0.5),
    p99: at(first, 0.99),
    errors,
    secondP50: at(second, 0.5),
  };
}

/** Rate and CPU per call over all rounds; latencies are the median of the rounds' percentiles. */
function summarise(list: Sample[]) {
  const requests = list.reduce((n, s) => n + s.requests, 0);
  const seconds = list.reduce((n, s) => n + s.seconds, 0);
  const cpu: Record<string, number> = {};
  for (const s of list) for (const [name, ms] of Object.entries(s.cpuMs ?? {})) cpu[name] = (cpu[name] ?? 0) + ms;
  return {
    requestsPerSecond: Math.round(requests / seconds),
    p50: median(list.map((s) => s.p50)),
    p99: median(list.map((s) => s.p99)),
    errors: list.reduce((n, s) => n + s.errors, 0),
    requests,
    /** Milliseconds of CPU per call, by process. */
    cpuMsPerCall: Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, Math.round((ms / requests) * 1000) / 1000])),
    rounds: list.map((s) => ({ requestsPerSecond: Math.round(s.requests / s.seconds), p50: s.p50, p99: s.p99, errors: s.errors })),
  };
}

function table(variants: Record<Variant, ReturnType<typeof summarise>>): string {
  const cpu = (v: Variant, name: string) => {
    const ms = variants[v].cpuMsPerCall[name];
    return ms === undefined ? '' : fmt(ms, 2);
  };
  const total = (v: Variant) => {
    const all = Object.values(variants[v].cpuMsPerCall);
    return all.length
      ? fmt(
          all.reduce((a, b) => a + b, 0),
          2,
        )
      : '';
  };
  const rows = [
    ['#', 'variant', 'req/s', 'p50 ms', 'p99 ms', 'errors', ...CHAIN.map((n) => `${n} cpu ms`), 'cpu ms/call'],
    ...VARIANTS.map((v, i) => [
      String(i + 1),
      v,
      fmt(variants[v].requestsPerSecond, 0),
      fmt(variants[v].p50, 1),
      fmt(variants[v].p99, 1),
      String(variants[v].errors),
      ...CHAIN.map((n) => cpu(v, n)),
      total(v),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : round2(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
}
const fmt = (n: number, digits: number) => n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** An API-audience JWT, obtained as the gateway and the MCP server would: introspection, then exchange. */
async function apiTokenFor(stack: LocalStack, opaque: string): Promise<string> {
  const response = await fetch(stack.model.endpoints.introspect, {
    method: 'POST',
    headers: {
      authorization: basicAuthorization(stack.model.clients.gateway.id, stack.secrets.gatewayClientSecret),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/jwt',
    },
    body: new URLSearchParams({ token: opaque }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 200) throw new Error(`Introspection answered ${response.status}`);
  const jwt = await response.text();
  const exchanger = createTokenExchanger({
    tokenEndpoint: stack.model.endpoints.token,
    clientId: stack.model.clients.mcpServer.id,
    clientSecret: stack.secrets.mcpClientSecret,
    audience: stack.model.apiAudience,
    cacheMaxEntries: 0,
  });
  const token = await exchanger.tokenFor({ token: jwt, claims: decodeJwt(jwt) as AccessTokenClaims });
  if (!token) throw new Error('The token exchange gave no token');
  return token;
}

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  console.error(`\nBenchmark failed: ${(err as Error).message}\nLast output of the parts:\n  ${recent.join('\n  ')}`);
} finally {
  for (const part of running.reverse()) await part.stop().catch(() => {});
}
