/**
 * Comparing two kinds of request by their timing, on a machine that does other things too.
 * Samples are taken in pairs, one of each kind in a random order, so that both kinds meet the same
 * load. The statistic is the difference of the two kinds' lower quartiles: a busy machine only
 * ever adds time (scheduling, other processes), so the lower part of each distribution is the
 * request's own work, and the difference there is the one an attacker would look for too. Its
 * p-value comes from a permutation test that swaps the labels within random pairs: if the kind
 * made no difference, either member of a pair could have been either kind.
 */

export interface PairedComparison {
  /** How much slower `a` is than `b` at the chosen quantile, in the samples' unit. */
  shift: number;
  /** Two-sided p-value of "the kind makes no difference". */
  p: number;
  /** The two quantiles compared. */
  a: number;
  b: number;
}

/** The `q`-quantile of `values`, interpolated between neighbouring order statistics. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  const at = q * (sorted.length - 1);
  const below = Math.floor(at);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (at - below);
}

/** `a[i]` and `b[i]` were taken together; `random` gives numbers in [0, 1). */
export function comparePaired(
  a: readonly number[],
  b: readonly number[],
  { q = 0.25, permutations = 5_000, random = Math.random }: { q?: number; permutations?: number; random?: () => number } = {},
): PairedComparison {
  if (a.length !== b.length || a.length === 0) throw new Error('comparePaired needs two non-empty samples of the same length');
  const statistic = (x: readonly number[], y: readonly number[]) => quantile(x, q) - quantile(y, q);
  const observed = statistic(a, b);
  let asExtreme = 0;
  const x: number[] = [];
  const y: number[] = [];
  for (let n = 0; n < permutations; n++) {
    x.length = 0;
    y.length = 0;
    for (let i = 0; i < a.length; i++) {
      const swap = random() < 0.5;
      x.push(swap ? b[i]! : a[i]!);
      y.push(swap ? a[i]! : b[i]!);
    }
    if (Math.abs(statistic(x, y)) >= Math.abs(observed)) asExtreme++;
  }
  return { shift: observed, p: (asExtreme + 1) / (permutations + 1), a: quantile(a, q), b: quantile(b, q) };
}
