// Plain-text tables for the terminal (and for pasting into the README as a code block).
import { IMPL_NAMES } from './plan.mjs';

/** @param {number | undefined} x @param {number} digits */
const num = (x, digits) =>
  x === undefined || !Number.isFinite(x)
    ? '-'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** @param {string[][]} rows first row = header; first two columns left-aligned */
function layout(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '))
    .join('\n');
}

/** Cases that stream one-way messages (their us/rt is wall time per message): rated in msg/s. */
const MESSAGE_STREAMS = new Set(['pipeline', 'fanout', 'pushpull']);

/** @param {ReturnType<import('./report.mjs').aggregateCase>[]} cases */
export function resultsTable(cases) {
  const rows = [['case', 'library', 'us/rt', 'p99 us', 'rt/s', 'msg/s', 'ours/zeromq.js', 'ours/floor']];
  for (const c of cases) {
    let first = true;
    const streamed = MESSAGE_STREAMS.has(c.topology);
    for (const impl of c.impls) {
      const r = c.results[impl];
      rows.push([
        first ? c.id : '',
        IMPL_NAMES[impl],
        r ? num(r.usPerRt, 1) : 'n/a',
        num(r?.p99Us, 1),
        streamed ? '-' : num(r?.rtPerSec, 0),
        streamed ? num(r?.rtPerSec, 0) : '-',
        num(r?.vsZeromqjs, 2),
        num(r?.vsFloor, 2),
      ]);
      first = false;
    }
  }
  return layout(rows);
}

/** @param {Record<string, number | null>} rss process label -> peak RSS KiB */
export function rssTable(rss) {
  const rows = [['process', '', 'peak RSS MiB']];
  for (const [label, kib] of Object.entries(rss)) rows.push([label, '', kib == null ? 'n/a' : num(kib / 1024, 1)]);
  return layout(rows);
}
