/**
 * What the benchmark measures and how it sums it up: load on loopback with autocannon, the CPU
 * time and resident memory of each process from Linux's /proc, and medians over rounds.
 */
import { readFileSync } from 'node:fs';
import autocannon, { type Options, type Result } from 'autocannon';

export interface Sample {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time each process used, in milliseconds. */
  cpuMs?: Record<string, number>;
}

export type Summary = ReturnType<typeof summarise>;

export const round2 = (n: number) => Math.round(n * 100) / 100;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : round2(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
}

/** CPU time a process has used so far, in milliseconds (undefined where /proc is missing). */
export function cpuMs(pid: number | undefined): number | undefined {
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

/** Resident memory of a process in KiB (undefined where /proc is missing). */
export function rssKiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb);
  } catch {
    return undefined;
  }
}

/** The CPU time each named process uses while `work` runs. */
export async function measureCpu<T>(
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

/**
 * Load for `seconds` (or `amount` requests), answers checked by the options' `verifyBody`; as fast
 * as the chain answers, or at `perSecond` calls per second in all.
 */
export function load(
  options: Options,
  connections: number,
  run: ({ seconds: number } | { amount: number }) & { perSecond?: number },
): Promise<Result> {
  const limit = 'seconds' in run ? { duration: run.seconds } : { amount: run.amount, connections: Math.min(connections, run.amount) };
  const rate = run.perSecond === undefined ? {} : { overallRate: run.perSecond };
  return Promise.resolve(autocannon({ connections, timeout: 10, ...options, ...limit, ...rate }));
}

export function fromAutocannon(r: Result): Sample {
  return {
    requests: r.requests.total,
    seconds: r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx + r.mismatches,
  };
}

/** Rate and CPU per call over all rounds; latencies are the median of the rounds' percentiles. */
export function summarise(list: Sample[]) {
  const requests = list.reduce((n, s) => n + s.requests, 0);
  const seconds = list.reduce((n, s) => n + s.seconds, 0);
  const cpu: Record<string, number> = {};
  for (const s of list) for (const [name, ms] of Object.entries(s.cpuMs ?? {})) cpu[name] = (cpu[name] ?? 0) + ms;
  return {
    requestsPerSecond: seconds > 0 ? Math.round(requests / seconds) : 0,
    p50: median(list.map((s) => s.p50)),
    p99: median(list.map((s) => s.p99)),
    errors: list.reduce((n, s) => n + s.errors, 0),
    requests,
    /** Milliseconds of CPU per call, by process. */
    cpuMsPerCall: Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, Math.round((ms / requests) * 1000) / 1000])),
    rounds: list.map((s) => ({ requestsPerSecond: Math.round(s.requests / s.seconds), p50: s.p50, p99: s.p99, errors: s.errors })),
  };
}

/** Each round's rate of `a` over `b` (rounds measured moments apart), as a list. */
export function ratiosPerRound(a: Sample[], b: Sample[]): number[] {
  const rate = (s: Sample) => s.requests / s.seconds;
  return a.map((s, i) => round2(rate(s) / rate(b[i]!)));
}
