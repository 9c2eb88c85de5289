/** How the benchmark shows its figures in a terminal: aligned tables and character bar charts. */

export const fmt = (n: number, digits: number) =>
  n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Columns aligned; the first `leftColumns` columns left-aligned (names), the others right-aligned (numbers). */
export function table(header: string[], rows: string[][], leftColumns = 1): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c < leftColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** One bar per item, scaled to the largest value, with the value after it. */
export function barChart(items: { label: string; value: number; note?: string }[], width = 50): string {
  const max = Math.max(...items.map((i) => i.value), 1);
  const labelWidth = Math.max(...items.map((i) => i.label.length));
  return items
    .map((i) => {
      const bar = '█'.repeat(Math.max(i.value > 0 ? 1 : 0, Math.round((i.value / max) * width)));
      return `${i.label.padEnd(labelWidth)} │${bar} ${fmt(i.value, 0)}${i.note ? ` ${i.note}` : ''}`;
    })
    .join('\n');
}

/** A ratio against its target: the line printed, and whether it is met. */
export function targetLine(name: string, value: number, target: { atLeast: number } | { atMost: number }, how: string) {
  const met = 'atLeast' in target ? value >= target.atLeast : value <= target.atMost;
  const bound = 'atLeast' in target ? `≥ ${target.atLeast}` : `≤ ${target.atMost}`;
  return { met, line: `${met ? '✓' : '✗'} ${name.padEnd(40)} ${value.toFixed(2).padStart(6)}  target ${bound.padEnd(6)}  ${how}` };
}
