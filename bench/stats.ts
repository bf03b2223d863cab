/** A sample summarized the honest way for small n: the median, the range, and how many runs. */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median (mean of the two middle values for even n), min and max of `samples`. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('cannot summarize an empty sample');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { n: sorted.length, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** "9.81 s (9.52–10.20, n=5)"; `unit` picks seconds or milliseconds for a sample in milliseconds. */
export function formatSummary(summary: Summary, unit: 's' | 'ms'): string {
  const value = (ms: number) => (unit === 's' ? (ms / 1000).toFixed(2) : ms.toFixed(0));
  if (summary.n === 1) return `${value(summary.median)} ${unit} (n=1)`;
  return `${value(summary.median)} ${unit} (${value(summary.min)}–${value(summary.max)}, n=${summary.n})`;
}

/** `part` as a percentage of `whole`, one decimal. */
export function percentOf(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)}%`;
}
