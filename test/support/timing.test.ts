import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparePaired, quantile } from './timing.ts';

/** Deterministic pseudo-random numbers (mulberry32), so the test is the same every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('comparePaired: no difference is not significant, even under a changing load; a shift is, and is measured', () => {
  assert.equal(quantile([4, 1, 3, 2, 5], 0.25), 2);
  assert.equal(quantile([1, 2], 0.5), 1.5);
  const next = random(7);
  // Request-like times: a load that drifts from pair to pair, plus a skewed tail per sample.
  const load = Array.from({ length: 150 }, (_, i) => 2 + 3 * Math.sin(i / 10) ** 2);
  const sample = (offset: number) => load.map((l) => l + offset - Math.log(1 - next()) / 2);
  const options = { random: random(11) };
  const same = comparePaired(sample(0), sample(0), options);
  assert.ok(same.p > 0.01, `p=${same.p}`);
  const shifted = comparePaired(sample(0.8), sample(0), options);
  assert.ok(shifted.p < 0.001, `p=${shifted.p}`);
  assert.ok(Math.abs(shifted.shift - 0.8) < 0.4, `shift=${shifted.shift}`);
  assert.ok(shifted.a > shifted.b);
  const slower = comparePaired(sample(0), sample(0.8), options);
  assert.ok(slower.p < 0.001 && slower.shift < 0, 'either way round');
  assert.throws(() => comparePaired([1], [1, 2]), /same length/);
});
