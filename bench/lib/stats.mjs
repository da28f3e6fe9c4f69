// Statistics shared by the benchmarks: medians and percentiles of wall times (ms).

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function median(sorted) {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** n, median, p90, min, max and mean of a list of times. */
export function summarize(times) {
  const s = [...times].sort((a, b) => a - b);
  if (s.length === 0) return { n: 0, median: NaN, p90: NaN, min: NaN, max: NaN, mean: NaN };
  return { n: s.length, median: median(s), p90: percentile(s, 90), min: s[0], max: s.at(-1), mean: s.reduce((a, b) => a + b, 0) / s.length };
}
