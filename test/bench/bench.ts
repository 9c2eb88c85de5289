/**
 * `npm run bench`: what security and MCP cost a tool call, and how the cost grows with users.
 *
 * Variants 1–5 are alternated round by round so that the machine's drift spreads over all of them;
 * variant 6 runs after them, its first calls one after another:
 *
 *   1 api-direct             the stocks API called directly with an API-audience JWT (the floor)
 *   2 mcp-secured            tools/call through the gateway with the opaque token, caches warm
 *   3 mcp-insecure           the same chain with security taken out (benchmark-only composition)
 *   4 plain-chain            the same gateway and hops with a plain HTTP service in the MCP server's
 *                            place, no security: what the hops cost without MCP
 *   5 mcp-exchange-uncached  the secured chain with no exchanged token kept: an exchange, and a new
 *                            API token signed, on every call
 *   6 mcp-cold               a new token's first call (introspection and exchange both miss), one
 *                            at a time, compared with the same token's second call
 *
 * Variants 2 and 3 then run once more at the same fixed rate, half what variant 3 reached: what
 * security costs in CPU per call when both carry equal load (at full load a slower chain also
 * batches less, so every process's CPU per call grows with the gap).
 *
 * Then the secured chain with 1, 1,000 and 10,000 users' tokens in rotation (calls/s and resident
 * memory per process), and once more beyond the caches' bound. First of all, what signing and
 * verifying a token costs with PS256, ES256 and EdDSA; last, the built-in authorization server's
 * issuance, introspection and exchange rates on PGlite and on PostgreSQL.
 *
 * Prints tables and bar charts and writes bench-results.json (or --out <path>).
 * Options: --duration <s per variant and round> --rounds <n> --connections <n> --cold <first calls per batch>
 *          --users <sizes, e.g. 1,1000,10000; "none" skips> --scale-rounds <n>
 *          --no-authorization-server (skips the authorization server's rates)
 */
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Options } from 'autocannon';
import { decodeJwt } from 'jose';
import { basicAuthorization } from '@mcp-secured-api/contracts';
import { readStackFile } from '../../infra/local/stack-file.ts';
import type { StackConfig } from '../../infra/model.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { createTokenExchanger } from '../../services/mcp-server/token-exchange.ts';
import type { AccessTokenClaims } from '../../services/security/verify-access-token.ts';
import { stocksInRegion } from '../../services/stocks-api/stocks.ts';
import { signInMany } from '../support/many-users.ts';
import { startInsecureChain } from './insecure-chain.ts';
import { fromAutocannon, load, measureCpu, median, ratiosPerRound, round2, summarise, type Sample, type Summary } from './measure.ts';
import { barChart, fmt, table, targetLine } from './report.ts';
import { measureOnEveryDatabase, ratesTable } from './authorization-server-rates.ts';
import { measureScale } from './scale.ts';
import { ALGORITHMS, measureSigning } from './signing.ts';

const VARIANTS = ['api-direct', 'mcp-secured', 'mcp-insecure', 'plain-chain', 'mcp-exchange-uncached', 'mcp-cold'] as const;
type Variant = (typeof VARIANTS)[number];
type LoadVariant = Exclude<Variant, 'mcp-cold'>;
const CHAIN = ['gateway', 'mcp-server', 'stocks-api', 'authorization-server'] as const;

const TARGETS = {
  securityTax: { atLeast: 0.9 },
  cacheGain: { atLeast: 2 },
  coldOverWarmLatency: { atMost: 3 },
  securedOverPlainChain: { atLeast: 0.35 },
  scaleRetention: { atLeast: 0.7 },
  mcpServerCpuMsPerCall: { atMost: 0.4 },
} as const;
/**
 * Variant 5: no exchanged token kept anywhere, neither by the MCP server nor by the authorization
 * server, which then signs a new API token at every exchange, as one that keeps none does.
 */
const EXCHANGE_ON_EVERY_CALL = {
  'mcp-server': { EXCHANGE_CACHE_ENTRIES: '0' },
  'authorization-server': { EXCHANGED_TOKEN_ENTRIES: '0' },
};
/** New tokens whose first calls are not measured: they warm up the code only a first call runs. */
const COLD_WARM_UP = 20;

const { values: flags } = parseArgs({
  allowNegative: true,
  options: {
    out: { type: 'string', default: 'bench-results.json' },
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '7' },
    connections: { type: 'string', default: '50' },
    cold: { type: 'string', default: '6' },
    users: { type: 'string', default: '1,1000,10000' },
    'scale-rounds': { type: 'string', default: '3' },
    'authorization-server': { type: 'boolean', default: true },
  },
});
const settings = {
  durationSeconds: positive('duration', flags.duration),
  rounds: positive('rounds', flags.rounds),
  connections: positive('connections', flags.connections),
  coldTokensPerRound: positive('cold', flags.cold),
  users: flags.users === 'none' ? [] : [...new Set(flags.users.split(',').map((n) => positive('users', n.trim())))].sort((a, b) => a - b),
  scaleRounds: positive('scale-rounds', flags['scale-rounds']),
  authorizationServerRates: flags['authorization-server'],
};

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a whole number of at least 1, not "${value}"`);
    process.exit(2);
  }
  return n;
}

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: round2(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
};
const say = (line = '') => process.stdout.write(`${line}\n`);

/** The parts' output, kept to explain a failure. */
const recent: string[] = [];
const log = (part: string, line: string) => {
  recent.push(`[${part}] ${line}`);
  if (recent.length > 60) recent.shift();
};
const running: { stop(): Promise<void> }[] = [];

/**
 * Starts a chain on free ports, again when another program took one of them between the moment
 * it was found free and the moment a part listened on it.
 */
async function onFreePorts<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts || !/port it needs is in use/.test((err as Error).message)) throw err;
      say(`  (${(err as Error).message.split('.')[0]}; starting it again)`);
    }
  }
}
async function stopAll(): Promise<void> {
  for (const part of running.splice(0).reverse()) await part.stop().catch(() => {});
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = await readStackFile('dev');
  say(`Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}`);
  say(
    `${settings.rounds} rounds of ${settings.durationSeconds} s per variant at ${settings.connections} connections, ` +
      `${settings.coldTokensPerRound} first calls per batch; users in rotation: ${settings.users.join(', ') || 'none'}.`,
  );

  say('Signing algorithms: CPU per signature and verification (jose, this process)…');
  const signing = await measureSigning();
  const { samples, secondCalls, equalLoad } = await measureVariants(config);
  await stopAll();
  const scale = settings.users.length
    ? await measureScale({
        config,
        sizes: settings.users,
        connections: settings.connections,
        durationSeconds: settings.durationSeconds,
        rounds: settings.scaleRounds,
        log,
        say,
        start: async (start) => {
          const stack = await onFreePorts(start);
          running.push(stack);
          return stack;
        },
      })
    : undefined;
  await stopAll();
  // Alone on the machine, after the stacks have stopped: the server and its database, in process.
  const authorizationServer = settings.authorizationServerRates
    ? await measureOnEveryDatabase(say, settings.durationSeconds * 1000)
    : undefined;

  const variants = Object.fromEntries(VARIANTS.map((v) => [v, summarise(samples[v])])) as Record<Variant, Summary>;
  // Each round's ratio compares variants measured moments apart; the median of the rounds' ratios
  // keeps a burst of load from elsewhere on the machine in one round from deciding the result.
  const perRound = {
    securityTax: ratiosPerRound(samples['mcp-secured'], samples['mcp-insecure']),
    cacheGain: ratiosPerRound(samples['mcp-secured'], samples['mcp-exchange-uncached']),
    securedOverPlainChain: ratiosPerRound(samples['mcp-secured'], samples['plain-chain']),
    ...(scale && { scaleRetention: scale.retentionPerRound }),
  };
  const ratios = {
    securityTax: median(perRound.securityTax),
    cacheGain: median(perRound.cacheGain),
    // Against the same tokens' second calls: both one call at a time, unlike variant 2 under load.
    coldOverWarmLatency: round2(variants['mcp-cold'].p50 / median(secondCalls)),
    securedOverPlainChain: median(perRound.securedOverPlainChain),
    ...(scale && { scaleRetention: median(scale.retentionPerRound) }),
  };
  const errors = VARIANTS.reduce((n, v) => n + variants[v].errors, 0) + (scale?.errors ?? 0);
  const mcpServerCpuMsPerCall = variants['mcp-secured'].cpuMsPerCall['mcp-server'] ?? NaN;

  say();
  say(signingTable(signing));
  if (scale) say(`\n${scale.report}`);
  if (authorizationServer) say(`\nThe built-in authorization server, in process, by database:\n${ratesTable(authorizationServer)}`);
  say(`\n${variantTable(variants)}\n`);
  say(`${equalLoadTable(equalLoad)}\n`);
  say(
    barChart(
      VARIANTS.filter((v) => v !== 'mcp-cold').map((v, i) => ({
        label: `${i + 1} ${v}`,
        value: variants[v].requestsPerSecond,
        note: 'req/s',
      })),
    ),
  );
  say();
  const checked = checkTargets(
    ratios,
    mcpServerCpuMsPerCall,
    errors,
    scale && `${fmt(scale.largest, 0)} users ÷ ${fmt(scale.smallest, 0)}`,
  );
  for (const line of checked.lines) say(line);
  say(checked.met ? 'Targets met.' : scale ? 'Targets NOT met.' : 'Scale not measured (--users none).');

  const out = resolve(flags.out);
  const results = {
    measuredAt: new Date().toISOString(),
    machine,
    settings,
    variants,
    secondCallP50: median(secondCalls),
    equalLoad,
    ratios,
    ratiosPerRound: perRound,
    mcpServerCpuMsPerCall,
    scale: scale?.results,
    authorizationServer,
    signing,
    targets: { ...TARGETS, errors: 0, met: checked.met },
  };
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  say(`Results written to ${out} (${Math.round((Date.now() - started) / 1000)} s in all).`);
}

/**
 * Variants 1–6: the four chains started side by side, a test user signed in, the load variants
 * alternated over the rounds, then the first calls.
 */
async function measureVariants(
  config: StackConfig,
): Promise<{ samples: Record<Variant, Sample[]>; secondCalls: number[]; equalLoad: EqualLoad }> {
  const user = config.users[0]!;
  const region = stocksInRegion(user.region).map((s) => s.id);
  say('Starting the local stack, one that keeps no exchanged token, the chain without security and the plain chain…');
  const [secured, uncached, insecure, plain] = await Promise.all([
    onFreePorts(() => startLocalStack({ config, basePort: 0, log })),
    onFreePorts(() => startLocalStack({ config, basePort: 0, log, env: EXCHANGE_ON_EVERY_CALL })),
    onFreePorts(() => startInsecureChain({ config, user, log })),
    onFreePorts(() => startInsecureChain({ config, user, log, hop: 'plain-hop' })),
  ]);
  running.push(secured, uncached, insecure, plain);

  const coldCount = settings.rounds * settings.coldTokensPerRound + COLD_WARM_UP;
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
  const variants: Record<LoadVariant, { load: Options; processes: Record<string, number | undefined> }> = {
    'api-direct': {
      load: { url: `${secured.info.upstreams.stocksApi}/stocks`, headers: { authorization: `Bearer ${apiToken}` }, verifyBody },
      processes: { 'stocks-api': secured.pids()['stocks-api'] },
    },
    'mcp-secured': { load: toolCall(secured.model.mcpResource, warm), processes: chainOf(secured.pids()) },
    'mcp-insecure': { load: toolCall(insecure.mcpUrl), processes: chainOf(insecure.pids()) },
    'plain-chain': { load: toolCall(plain.mcpUrl), processes: chainOf(plain.pids()) },
    'mcp-exchange-uncached': { load: toolCall(uncached.model.mcpResource, uncachedToken), processes: chainOf(uncached.pids()) },
  };
  const samples = Object.fromEntries(VARIANTS.map((v) => [v, [] as Sample[]])) as Record<Variant, Sample[]>;
  await runRounds(variants, verifyBody, samples);
  const equalLoad = await atEqualLoad(variants, Math.round(median(samples['mcp-insecure'].map((x) => x.requests / x.seconds)) / 2));

  // First calls one after another, as when new users keep arriving: the code only a first call
  // runs (introspection, verification, exchange, signing) is measured once the JIT has seen it,
  // after first calls of other tokens that are not measured; each compared with its own second.
  say(`First calls: ${COLD_WARM_UP} to warm up, then ${settings.rounds} batches of ${settings.coldTokensPerRound}…`);
  await firstCalls(toolCall(secured.model.mcpResource), cold.splice(0, COLD_WARM_UP), verifyBody);
  const secondCalls: number[] = [];
  for (let batch = 1; batch <= settings.rounds; batch++) {
    process.stdout.write(`Batch ${batch}/${settings.rounds} · ${'mcp-cold'.padEnd(22)} ${settings.coldTokensPerRound} first calls… `);
    const sample = await firstCalls(toolCall(secured.model.mcpResource), cold.splice(0, settings.coldTokensPerRound), verifyBody);
    samples['mcp-cold'].push(sample);
    secondCalls.push(sample.secondP50);
    say(`p50 ${sample.p50} ms, p99 ${sample.p99} ms (second call p50 ${sample.secondP50} ms), ${sample.errors} errors`);
  }
  return { samples, secondCalls, equalLoad };
}

type EqualLoad = { perSecond: number; cpuMsPerCall: Record<'mcp-secured' | 'mcp-insecure', Record<string, number>>; securityCpuMs: number };

/** Variants 2 and 3 at `perSecond` calls per second each, alternated over the rounds: CPU per call. */
async function atEqualLoad(
  variants: Record<LoadVariant, { load: Options; processes: Record<string, number | undefined> }>,
  perSecond: number,
): Promise<EqualLoad> {
  const pair = ['mcp-secured', 'mcp-insecure'] as const;
  const samples = { 'mcp-secured': [] as Sample[], 'mcp-insecure': [] as Sample[] };
  for (let round = 1; round <= settings.rounds; round++) {
    for (const variant of round % 2 ? pair : [...pair].reverse()) {
      process.stdout.write(`Equal load ${round}/${settings.rounds} · ${variant.padEnd(14)} ${fmt(perSecond, 0)} calls/s… `);
      const sample = await measureLoad(variants[variant], perSecond);
      samples[variant].push(sample);
      say(
        `${fmt(sample.requests / sample.seconds, 0)} calls/s, ${fmt(cpuSum(sample.cpuMs) / sample.requests, 2)} ms CPU per call, ${sample.errors} errors`,
      );
    }
  }
  const cpuMsPerCall = {
    'mcp-secured': summarise(samples['mcp-secured']).cpuMsPerCall,
    'mcp-insecure': summarise(samples['mcp-insecure']).cpuMsPerCall,
  };
  return { perSecond, cpuMsPerCall, securityCpuMs: round3(cpuSum(cpuMsPerCall['mcp-secured']) - cpuSum(cpuMsPerCall['mcp-insecure'])) };
}

/** One load of `settings.durationSeconds` (as fast as the chain answers, or at `perSecond`), with each process's CPU. */
async function measureLoad(
  variant: { load: Options; processes: Record<string, number | undefined> },
  perSecond?: number,
): Promise<Sample & { cpuMs: Record<string, number> }> {
  const { value: result, cpuMs } = await measureCpu(variant.processes, () =>
    load(variant.load, settings.connections, { seconds: settings.durationSeconds, ...(perSecond === undefined ? {} : { perSecond }) }),
  );
  return { ...fromAutocannon(result), cpuMs };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
/** CPU of all processes together. */
const cpuSum = (byProcess: Record<string, number>) => Object.values(byProcess).reduce((a, b) => a + b, 0);

/** One check that each variant answers, a second of warm-up each, then the rounds. */
async function runRounds(
  variants: Record<LoadVariant, { load: Options; processes: Record<string, number | undefined> }>,
  verifyBody: (body: string) => boolean,
  samples: Record<Variant, Sample[]>,
): Promise<void> {
  // One request each first: a variant that cannot answer stops the run with the reason.
  for (const [variant, { load: options }] of Object.entries(variants)) {
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
  for (const { load: options } of Object.values(variants)) await load(options, settings.connections, { seconds: 1 });

  const order = Object.keys(variants) as LoadVariant[];
  for (let round = 1; round <= settings.rounds; round++) {
    // Each round starts with another variant, so none always runs first or last.
    const first = (round - 1) % order.length;
    for (const variant of [...order.slice(first), ...order.slice(0, first)]) {
      process.stdout.write(`Round ${round}/${settings.rounds} · ${variant.padEnd(22)} ${settings.durationSeconds} s… `);
      const sample = await measureLoad(variants[variant]);
      samples[variant].push(sample);
      say(`${fmt(sample.requests / sample.seconds, 0)} req/s, p50 ${sample.p50} ms, p99 ${sample.p99} ms, ${sample.errors} errors`);
    }
  }
}

/** Each target with ✓ or ✗, and whether all are met. */
function checkTargets(
  ratios: { securityTax: number; cacheGain: number; coldOverWarmLatency: number; securedOverPlainChain: number; scaleRetention?: number },
  mcpServerCpuMsPerCall: number,
  errors: number,
  scaleSizes: string | undefined,
): { lines: string[]; met: boolean } {
  const ofRounds = "median of the rounds' ratios";
  const checks = [
    targetLine('security tax (2÷3, req/s)', ratios.securityTax, TARGETS.securityTax, ofRounds),
    targetLine('cache gain (2÷5, req/s)', ratios.cacheGain, TARGETS.cacheGain, ofRounds),
    targetLine(
      'cold over warm (6÷2, p50)',
      ratios.coldOverWarmLatency,
      TARGETS.coldOverWarmLatency,
      "first call over the same token's second",
    ),
    targetLine('secured over plain chain (2÷4, req/s)', ratios.securedOverPlainChain, TARGETS.securedOverPlainChain, ofRounds),
    ...(ratios.scaleRetention === undefined
      ? []
      : [targetLine(`scale retention (${scaleSizes})`, ratios.scaleRetention, TARGETS.scaleRetention, ofRounds)]),
    targetLine(
      'MCP server CPU per secured call (ms)',
      mcpServerCpuMsPerCall,
      TARGETS.mcpServerCpuMsPerCall,
      'from /proc, all rounds of variant 2',
    ),
  ];
  const lines = [
    ...checks.map((c) => c.line),
    `${errors === 0 ? '✓' : '✗'} ${'errors'.padEnd(40)} ${String(errors).padStart(6)}  target 0`,
  ];
  return { lines, met: checks.every((c) => c.met) && errors === 0 && ratios.scaleRetention !== undefined };
}

function signingTable(signing: Awaited<ReturnType<typeof measureSigning>>): string {
  return [
    'Signing algorithms (ms in this process: CPU, and the wait one at a time; a cold tool call signs once and verifies twice):',
    table(
      ['algorithm', 'sign CPU', 'verify CPU', 'sign wait', 'verify wait', 'cold call waits', 'token chars'],
      ALGORITHMS.map((a) => [
        a,
        fmt(signing[a].signMs, 3),
        fmt(signing[a].verifyMs, 3),
        fmt(signing[a].signWaitMs, 3),
        fmt(signing[a].verifyWaitMs, 3),
        fmt(signing[a].coldCallMs, 3),
        String(signing[a].tokenLength),
      ]),
    ),
  ].join('\n');
}

function variantTable(variants: Record<Variant, Summary>): string {
  const cpu = (v: Variant, name: string) => {
    const ms = variants[v].cpuMsPerCall[name];
    return ms === undefined ? '' : fmt(ms, 2);
  };
  const total = (v: Variant) => (Object.keys(variants[v].cpuMsPerCall).length ? fmt(cpuSum(variants[v].cpuMsPerCall), 2) : '');
  return table(
    ['#', 'variant', 'req/s', 'p50 ms', 'p99 ms', 'errors', ...CHAIN.map((n) => `${n} cpu ms`), 'cpu ms/call'],
    VARIANTS.map((v, i) => [
      String(i + 1),
      v,
      v === 'mcp-cold' ? '—' : fmt(variants[v].requestsPerSecond, 0),
      fmt(variants[v].p50, 1),
      fmt(variants[v].p99, 1),
      String(variants[v].errors),
      ...CHAIN.map((n) => cpu(v, n)),
      total(v),
    ]),
    2,
  );
}

function equalLoadTable({ perSecond, cpuMsPerCall, securityCpuMs }: EqualLoad): string {
  const parts = CHAIN.filter((n) => n in cpuMsPerCall['mcp-secured'] || n in cpuMsPerCall['mcp-insecure']);
  const row = (v: 'mcp-secured' | 'mcp-insecure') => [
    v,
    ...parts.map((n) => (cpuMsPerCall[v][n] === undefined ? '' : fmt(cpuMsPerCall[v][n]!, 3))),
    fmt(cpuSum(cpuMsPerCall[v]), 3),
  ];
  const secured = cpuSum(cpuMsPerCall['mcp-secured']);
  return [
    `Variants 2 and 3 at the same ${fmt(perSecond, 0)} calls/s (CPU ms per call):`,
    table(['variant', ...parts, 'all'], [row('mcp-secured'), row('mcp-insecure')]),
    `Security at equal load: ${fmt(securityCpuMs, 3)} ms of CPU per call (${fmt((100 * securityCpuMs) / secured, 0)} % of a secured call).`,
  ].join('\n');
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
  await stopAll();
}
