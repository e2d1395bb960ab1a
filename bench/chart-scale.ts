// Axis scales and number labels for bench/charts.ts, kept apart so they can be tested on their own.

/** An axis: where its ticks go (data units) and the span it draws, in the space `f` maps data into. */
export interface Scale {
  ticks: number[];
  lo: number;
  hi: number;
  f: (v: number) => number;
}

// Drops float noise such as 0.30000000000000004, and turns -0 into 0.
const clean = (v: number): number => Number(v.toPrecision(12)) || 0;

/** The 1, 2, 2.5, 5 or 10 × 10^k step nearest `raw`. */
function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return clean((n < 1.5 ? 1 : n < 2.25 ? 2 : n < 3.5 ? 2.5 : n < 7.5 ? 5 : 10) * mag);
}

/** About `count` evenly spaced round ticks, the first at or below `lo` and the last at or above `hi`. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (lo > hi) [lo, hi] = [hi, lo];
  // A flat series still needs some height to be drawn in: widen around its value.
  if (lo === hi) [lo, hi] = lo === 0 ? [0, 1] : [lo - Math.abs(lo) / 10, hi + Math.abs(hi) / 10];
  const step = niceStep((hi - lo) / Math.max(1, count - 1));
  const ticks: number[] = [];
  // The epsilon keeps a bound that is already a multiple of the step from gaining an extra tick.
  for (let i = Math.floor(lo / step + 1e-9); i <= Math.ceil(hi / step - 1e-9); i++)
    ticks.push(clean(i * step));
  return ticks;
}

/** A linear axis over `values`; `zero` keeps 0 on it so that a rise from 100 to 101 does not look steep. */
export function linearScale(values: number[], zero = false): Scale {
  const all = zero ? [...values, 0] : values;
  const ticks = all.length ? niceTicks(Math.min(...all), Math.max(...all)) : niceTicks(0, 1);
  return { ticks, lo: ticks[0]!, hi: ticks.at(-1)!, f: (v) => v };
}

/** A log2 axis for worker counts such as 1, 4, 16, 64: one tick at each distinct value, not at every power of 2. */
export function log2Scale(values: number[]): Scale {
  const ticks = [...new Set(values.filter((v) => v > 0))].sort((a, b) => a - b);
  if (!ticks.length) ticks.push(1);
  const [lo, hi] = [Math.log2(ticks[0]!), Math.log2(ticks.at(-1)!)];
  // A single value sits in the middle of a two-octave span.
  return { ticks, lo: lo === hi ? lo - 1 : lo, hi: lo === hi ? hi + 1 : hi, f: Math.log2 };
}

/** A log10 axis from the power of ten at or below the smallest value to the one at or above the largest. */
export function log10Scale(values: number[]): Scale {
  const pos = values.filter((v) => v > 0);
  let lo = pos.length ? Math.floor(Math.log10(Math.min(...pos))) : 0;
  let hi = pos.length ? Math.ceil(Math.log10(Math.max(...pos))) : 1;
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
  const ticks: number[] = [];
  for (let k = lo; k <= hi; k++) ticks.push(clean(10 ** k));
  return { ticks, lo, hi, f: Math.log10 };
}

const UNITS: Array<[number, string]> = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** 20700 → "20.7k", 1500000 → "1.5M", 0.5 → "0.5": `digits` significant digits, trailing zeros dropped. */
export function formatNumber(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return String(n);
  // Round before picking the unit, so that 999999 reads "1M" and not "1000k".
  const r = Number(n.toPrecision(digits));
  for (const [unit, suffix] of UNITS) {
    if (Math.abs(r) >= unit) return `${Number((r / unit).toPrecision(digits))}${suffix}`;
  }
  return String(r || 0);
}

/** Labels for a row of ticks, with as many digits as it takes for no two to read the same (10.05k vs 10.1k). */
export function tickLabels(ticks: number[]): string[] {
  let labels: string[] = [];
  for (let digits = 3; digits <= 12; digits++) {
    labels = ticks.map((t) => formatNumber(t, digits));
    if (new Set(labels).size === labels.length) break;
  }
  return labels;
}
