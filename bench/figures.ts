/** Small helpers both benchmarks use to take and print their figures. */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The `p`th percentile of `values` (NaN when there are none). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** A figure with `digits` decimals, or `-` when there is none. */
export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
