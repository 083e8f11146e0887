// Summary statistics over round-trip samples and over rounds. Medians, because a loaded 2-core
// machine produces long right tails that would drag a mean around.

/** @param {number[]} xs @param {number} q in [0, 1] @returns {number} */
export function quantile(xs, q) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** @param {number[]} xs */
export const median = (xs) => quantile(xs, 0.5);

/**
 * One sequential batch: per-round-trip times in ns -> microseconds.
 * @param {number[]} samplesNs
 */
export function summarizeSequential(samplesNs) {
  const us = samplesNs.map((n) => n / 1000);
  const mean = us.reduce((a, b) => a + b, 0) / us.length;
  return {
    n: us.length,
    medianUs: median(us),
    meanUs: mean,
    p90Us: quantile(us, 0.9),
    p99Us: quantile(us, 0.99),
    minUs: Math.min(...us),
  };
}

/**
 * One throughput batch: wall time for all round trips of all clients.
 * @param {number} elapsedNs @param {number} roundTrips
 */
export function summarizeThroughput(elapsedNs, roundTrips) {
  return {
    n: roundTrips,
    usPerRoundTrip: elapsedNs / 1000 / roundTrips,
    roundTripsPerSec: roundTrips / (elapsedNs / 1e9),
  };
}
