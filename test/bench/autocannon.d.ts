/** The part of autocannon's API the benchmark uses (the package ships no types). */
declare module 'autocannon' {
  interface Histogram {
    average: number;
    mean: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p99: number;
  }
  export interface Options {
    url: string;
    method?: 'GET' | 'POST';
    body?: string;
    headers?: Record<string, string>;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /** Requests to make in all (instead of a duration). */
    amount?: number;
    /** setupRequest may change each request, e.g. to give each its own token. */
    requests?: { setupRequest?: (request: { headers: Record<string, string> }) => { headers: Record<string, string> } }[];
    /** Seconds to wait for one response. */
    timeout?: number;
    /** A response whose body this does not accept counts as a mismatch. */
    verifyBody?: (body: string) => boolean;
  }
  export interface Result {
    /** Seconds. */
    duration: number;
    requests: Histogram;
    /** Milliseconds. */
    latency: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches: number;
    statusCodeStats: Record<string, { count: number }>;
  }
  export default function autocannon(options: Options): PromiseLike<Result> & { stop(): void };
}
