// The speed targets of issue 5, checked against a run's medians, so the README quotes a computed
// verdict rather than a hand-copied one. Ratio = our time per round trip / the other's (< 1: faster).
import { IMPL_NAMES } from './plan.mjs';

/**
 * @typedef {{ what: string, cases: string[], vs: 'vsZeromqjs' | 'vsFloor', max: number }} Target
 * @type {Target[]}
 */
export const TARGETS = [
  { what: '16 B sequential, ours/zeromq.js', cases: ['tcp 16 B sequential', 'ipc 16 B sequential'], vs: 'vsZeromqjs', max: 0.7 },
  { what: '16 B sequential, ours/floor', cases: ['tcp 16 B sequential', 'ipc 16 B sequential'], vs: 'vsFloor', max: 1.3 },
  { what: '64 KiB sequential, ours/zeromq.js', cases: ['tcp 64 KiB sequential', 'ipc 64 KiB sequential'], vs: 'vsZeromqjs', max: 0.6 },
  { what: '1 MiB sequential, ours/zeromq.js', cases: ['tcp 1 MiB sequential', 'ipc 1 MiB sequential'], vs: 'vsZeromqjs', max: 0.8 },
  { what: '16-client throughput, ours/zeromq.js', cases: ['tcp 16 clients x 16 B', 'ipc 16 clients x 16 B'], vs: 'vsZeromqjs', max: 0.7 },
  // Issue 12: each library's own Proxy in the broker process.
  { what: '16 clients -> broker -> 4 workers, ours/zeromq.js', cases: ['tcp 16 clients -> broker -> 4 workers x 16 B'], vs: 'vsZeromqjs', max: 0.6 },
  // Issue 11: both libraries with CURVE.
  {
    what: 'CURVE, ours/zeromq.js',
    cases: ['tcp CURVE 16 B sequential', 'tcp CURVE 64 KiB sequential', 'tcp CURVE 1 MiB sequential', 'tcp CURVE 16 clients x 16 B'],
    vs: 'vsZeromqjs',
    max: 0.8,
  },
];

/** @param {number | undefined} x */
const fmt = (x) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(2));

/**
 * One row per target and case: every "ours" variant's ratio (same-round paired ratio in brackets)
 * and whether all of them meet it.
 * @param {ReturnType<import('./report.mjs').aggregateCase>[]} cases
 */
export function targetRows(cases) {
  const rows = [];
  for (const t of TARGETS) {
    for (const id of t.cases) {
      const c = cases.find((x) => x.id === id);
      if (!c) continue;
      const ours = c.impls.filter((i) => i.startsWith('ours') && c.results[i]);
      const ratios = ours.map((i) => c.results[i][t.vs]);
      const paired = ours.map((i) => c.results[i][`${t.vs}Paired`]);
      const measured = ours.map((i, k) => `${IMPL_NAMES[i].replace(/^ours /, '')} ${fmt(ratios[k])} (${fmt(paired[k])})`);
      const known = ratios.filter((r) => r !== undefined && Number.isFinite(r));
      const verdict = known.length === 0 ? 'n/a' : known.every((r) => r <= t.max) ? 'met' : 'NOT met';
      rows.push({ target: t.what, case: id, max: t.max, measured: measured.join('; '), verdict });
    }
  }
  return rows;
}

/** @param {ReturnType<typeof targetRows>} rows */
export function targetsTable(rows) {
  const lines = ['| target | case | at most | measured (same-round paired) | |', '|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.target} | ${r.case} | ${r.max.toFixed(2)} | ${r.measured} | ${r.verdict} |`);
  return lines.join('\n');
}
