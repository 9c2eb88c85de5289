/**
 * Cost as users grow: the secured chain with the first N users' tokens in rotation, for each size
 * N. For each size, every new user's first call and a few seconds of load, then each process's
 * resident memory and live heap (the caches now hold N users); then rounds over all sizes,
 * alternated, for calls/s; last, 20 % more users than the largest size, to see memory stop
 * growing at the caches' bound.
 */
import type { LogSink } from '../../infra/local/part.ts';
import type { StackConfig } from '../../infra/model.ts';
import { fromAutocannon, load, measureCpu, ratiosPerRound, round2, rssKiB, summarise, type Sample, type Summary } from './measure.ts';
import { barChart, fmt, table } from './report.ts';
import { startScaleStack, type ScaleStack } from './scale-stack.ts';

/** The product's default cache sizes: the gateway's phantom-token cache, verified and exchanged tokens. */
export const CACHE_BOUND = 10_000;

export interface ScaleOptions {
  config: StackConfig;
  /** Numbers of users, ascending. */
  sizes: number[];
  connections: number;
  durationSeconds: number;
  rounds: number;
  log: LogSink;
  say: (line?: string) => void;
  /** Starts the stack, and stops it when the caller is done (or has failed). */
  start: (start: () => Promise<ScaleStack>) => Promise<ScaleStack>;
}

/** Resident memory and live heap (after a full collection) of each process, in KiB. */
interface Memory {
  rss: Record<string, number>;
  heap: Record<string, number>;
}

interface Size {
  users: number;
  firstCalls: Sample;
  memory: Memory;
  samples: Sample[];
}

export async function measureScale(options: ScaleOptions) {
  const { sizes, connections, say } = options;
  const smallest = sizes[0]!;
  const largest = sizes.at(-1)!;
  const beyond = Math.ceil(largest * 1.2);
  say(`Scale: starting the secured chain with an in-process authorization server for ${fmt(beyond, 0)} users…`);
  const stack = await options.start(() =>
    startScaleStack({ config: options.config, users: beyond, log: options.log, progress: (line) => say(`  ${line}`) }),
  );
  const memory = async (): Promise<Memory> => ({
    rss: Object.fromEntries(Object.entries(stack.pids()).map(([name, pid]) => [name, rssKiB(pid) ?? NaN])),
    heap: await stack.liveHeapKiB(),
  });

  let warmed = 0;
  const warmUp = async (users: number): Promise<Size> => {
    // Each new user's first call (one pass over the newcomers), then steady load over all of them.
    const firstCalls = fromAutocannon(await load(stack.toolCalls(users, warmed), connections, { amount: users - warmed }));
    warmed = users;
    await load(stack.toolCalls(users), connections, { seconds: 2 });
    return { users, firstCalls, memory: await memory(), samples: [] };
  };
  const measured: Size[] = [];
  for (const users of sizes) {
    process.stdout.write(`Scale · ${fmt(users, 0).padStart(6)} users: first calls and 2 s of load… `);
    const size = await warmUp(users);
    measured.push(size);
    say(`${size.firstCalls.errors} errors; live heap ${memoryLine(size.memory.heap)}`);
  }
  for (let round = 1; round <= options.rounds; round++) {
    const first = (round - 1) % measured.length;
    for (const size of [...measured.slice(first), ...measured.slice(0, first)]) {
      process.stdout.write(
        `Scale round ${round}/${options.rounds} · ${fmt(size.users, 0).padStart(6)} users ${options.durationSeconds} s… `,
      );
      const { value, cpuMs } = await measureCpu(stack.pids(), () =>
        load(stack.toolCalls(size.users), connections, { seconds: options.durationSeconds }),
      );
      const sample = { ...fromAutocannon(value), cpuMs };
      size.samples.push(sample);
      say(`${fmt(sample.requests / sample.seconds, 0)} req/s, p50 ${sample.p50} ms, ${sample.errors} errors`);
    }
  }
  process.stdout.write(`Scale · ${fmt(beyond, 0).padStart(6)} users (20 % more than ${fmt(largest, 0)}): first calls and load… `);
  const over = await warmUp(beyond);
  over.samples.push(fromAutocannon(await load(stack.toolCalls(beyond), connections, { seconds: options.durationSeconds })));
  over.memory = await memory();
  say(`${fmt(rate(over.samples[0]!), 0)} req/s; live heap ${memoryLine(over.memory.heap)}`);

  const summaries = new Map(measured.map((size) => [size.users, summarise(size.samples)]));
  const names = Object.keys(over.memory.heap);
  // What each cached user costs a process: the live heap's growth between the two largest sizes.
  const base = measured.at(-2) ?? measured[0]!;
  const top = measured.at(-1)!;
  const perUserKiB = Object.fromEntries(
    names.map((n) => [n, round2((top.memory.heap[n]! - base.memory.heap[n]!) / Math.max(1, top.users - base.users))]),
  );
  const beyondGrowthMiB = Object.fromEntries(names.map((n) => [n, round2((over.memory.heap[n]! - top.memory.heap[n]!) / 1024)]));
  const errors = [...measured, over].reduce((n, s) => n + s.firstCalls.errors + s.samples.reduce((m, x) => m + x.errors, 0), 0);

  const report = scaleReport({ measured, over, summaries, names, perUserKiB, beyondGrowthMiB, base, top });
  return {
    smallest,
    largest,
    retentionPerRound: ratiosPerRound(top.samples, measured[0]!.samples),
    errors,
    report,
    results: {
      cacheBound: CACHE_BOUND,
      sizes: measured.map((size) => ({
        users: size.users,
        ...summaries.get(size.users)!,
        firstCallsPerSecond: size.firstCalls.requests >= 100 ? Math.round(rate(size.firstCalls)) : undefined,
        rssMiB: mib(size.memory.rss),
        liveHeapMiB: mib(size.memory.heap),
      })),
      beyondBound: {
        users: beyond,
        requestsPerSecond: Math.round(rate(over.samples[0]!)),
        rssMiB: mib(over.memory.rss),
        liveHeapMiB: mib(over.memory.heap),
        liveHeapGrowthFromLargestMiB: beyondGrowthMiB,
      },
      liveHeapPerCachedUserKiB: perUserKiB,
    },
  };
}

function scaleReport(r: {
  measured: Size[];
  over: Size;
  summaries: Map<number, Summary>;
  names: string[];
  perUserKiB: Record<string, number>;
  beyondGrowthMiB: Record<string, number>;
  base: Size;
  top: Size;
}): string {
  const { names } = r;
  const row = (size: Size, label: string, summary: { requestsPerSecond: number; p50: number; p99: number; errors: number }) => [
    label,
    fmt(summary.requestsPerSecond, 0),
    fmt(summary.p50, 1),
    fmt(summary.p99, 1),
    String(summary.errors + size.firstCalls.errors),
    size.firstCalls.requests >= 100 ? fmt(rate(size.firstCalls), 0) : '—',
    ...names.map((n) => `${fmt(size.memory.rss[n]! / 1024, 0)} / ${fmt(size.memory.heap[n]! / 1024, 1)}`),
  ];
  const overSummary = summarise(r.over.samples);
  return [
    `Cost as users grow (secured chain, each request with the next user's token; memory after each size's first calls):`,
    table(
      ['users', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'first calls/s', ...names.map((n) => `${n} MiB rss / heap`)],
      [
        ...r.measured.map((size) => row(size, fmt(size.users, 0), r.summaries.get(size.users)!)),
        row(r.over, `${fmt(r.over.users, 0)}*`, overSummary),
      ],
      0,
    ),
    r.top.users >= CACHE_BOUND
      ? `* beyond the caches' bound of ${fmt(CACHE_BOUND, 0)} users: every user was evicted before their turn came again.`
      : `* 20 % more users than the largest size (the caches hold ${fmt(CACHE_BOUND, 0)}).`,
    '',
    barChart(
      r.measured.map((size) => ({
        label: `${fmt(size.users, 0).padStart(6)} users`,
        value: r.summaries.get(size.users)!.requestsPerSecond,
        note: 'req/s',
      })),
    ),
    '',
    `Live heap per cached user (${fmt(r.base.users, 0)} → ${fmt(r.top.users, 0)} users): ${names.map((n) => `${n} ${fmt(r.perUserKiB[n]!, 2)} KiB`).join(', ')}.`,
    `Live heap from ${fmt(r.top.users, 0)} to ${fmt(r.over.users, 0)} users: ${names.map((n) => `${n} ${signed(r.beyondGrowthMiB[n]!)} MiB`).join(', ')} ` +
      `(without a bound: ${names.map((n) => `+${fmt((r.perUserKiB[n]! * (r.over.users - r.top.users)) / 1024, 1)}`).join(' / ')} MiB).`,
  ].join('\n');
}

const rate = (s: Sample) => s.requests / s.seconds;
const mib = (kib: Record<string, number>) => Object.fromEntries(Object.entries(kib).map(([n, k]) => [n, round2(k / 1024)]));
const signed = (n: number) => `${n >= 0 ? '+' : ''}${fmt(n, 1)}`;
const memoryLine = (kib: Record<string, number>) =>
  Object.entries(kib)
    .map(([name, k]) => `${name} ${fmt(k / 1024, 1)} MiB`)
    .join(', ');
