// Turns the per-round batch summaries into medians and ratios (the numbers the table and chart show).
import { median } from './stats.mjs';

/** @param {any} r a batch summary @param {'seq' | 'tput'} kind */
const usOf = (r, kind) => (kind === 'seq' ? r.medianUs : r.usPerRoundTrip);

/** @param {any[]} ours @param {any[]} other batch summaries by round (a dropped impl may have fewer) @param {'seq' | 'tput'} kind */
function pairedRatio(ours, other, kind) {
  const n = Math.min(ours.length, other.length);
  return median(Array.from({ length: n }, (_, i) => usOf(ours[i], kind) / usOf(other[i], kind)));
}

/**
 * @param {import('./plan.mjs').Case} c
 * @param {Record<string, any[]>} rounds impl -> batch summaries, one per round
 */
export function aggregateCase(c, rounds) {
  /** @type {Record<string, any>} */
  const results = {};
  for (const [impl, list] of Object.entries(rounds)) {
    if (list.length === 0) continue;
    const usPerRt = median(list.map((r) => usOf(r, c.kind)));
    results[impl] = {
      usPerRt,
      rtPerSec: 1e6 / usPerRt,
      ...(c.kind === 'seq' ? { p99Us: median(list.map((r) => r.p99Us)) } : {}),
      roundsMeasured: list.length,
      rounds: list,
    };
  }
  // A case has one floor: the blocking ping-pong, or node:net for the pipelined case.
  const floor = results.floor ?? results.netfloor;
  for (const [impl, r] of Object.entries(results)) {
    if (!impl.startsWith('ours')) continue;
    // Ratios of medians: < 1 means ours takes less time per round trip.
    if (results.zeromqjs) r.vsZeromqjs = r.usPerRt / results.zeromqjs.usPerRt;
    if (floor) r.vsFloor = r.usPerRt / floor.usPerRt;
    // Also the median of same-round ratios: neighbouring batches share the machine's mood, so this one
    // is steadier when the load changes during the run (JSON only; the table shows ratios of medians).
    if (results.zeromqjs) r.vsZeromqjsPaired = pairedRatio(r.rounds, results.zeromqjs.rounds, c.kind);
    if (floor) r.vsFloorPaired = pairedRatio(r.rounds, floor.rounds, c.kind);
  }
  return { ...c, results };
}
