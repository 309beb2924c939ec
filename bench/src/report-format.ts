/** How benchmark scripts print their figures. */

/** `n` with thousands separators and at most `digits` decimals (en-US). */
export const fmt = (n: number, digits = 1): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits });

/** The p-th percentile (nearest rank, rounded down) of ascending `sorted`; NaN when empty. */
export const pct = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
