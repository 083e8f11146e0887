// Hand-written SVG chart of a run (no dependency): one group of horizontal bars per case, each case scaled
// to its own slowest bar (sizes span three orders of magnitude), values and ratios written on the bars.
import { IMPL_NAMES } from './plan.mjs';
import { machineLine } from './machine.mjs';

/** @type {Record<string, string>} */
const COLORS = {
  ours: '#1f6feb',
  'ours-request': '#79b8ff',
  'ours-serve': '#79b8ff',
  zeromqjs: '#e36209',
  floor: '#8b949e',
  netfloor: '#8b949e',
};
const FONT = 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif';
const WIDTH = 1000;
const LABEL_W = 200;
const BAR_X = LABEL_W + 130;
const BAR_MAX = 400;
const BAR_H = 14;
const BAR_GAP = 4;
const CASE_GAP = 16;

/** @param {string} s */
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** @param {number} x @param {number} y @param {string} s @param {string} [attrs] */
const text = (x, y, s, attrs = '') => `<text x="${x}" y="${y}"${attrs ? ' ' + attrs : ''}>${esc(s)}</text>`;

/** @param {number} us */
function fmtUs(us) {
  return us >= 100 ? `${us.toFixed(0)} µs` : `${us.toFixed(1)} µs`;
}

/** @param {any} r the ours row of a case */
function ratioNote(r) {
  const parts = [];
  if (r.vsZeromqjs !== undefined) parts.push(`${r.vsZeromqjs.toFixed(2)}× zeromq.js`);
  if (r.vsFloor !== undefined) parts.push(`${r.vsFloor.toFixed(2)}× floor`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** @param {{ machine: any, config: any, cases: any[], oursModule?: string, peakRssKiB?: Record<string, number | null> }} report */
export function renderChart(report) {
  const out = [];
  let y = 28;
  out.push(text(12, y, 'zeromq-napi vs zeromq.js vs a plain TCP/Unix-socket ping-pong', 'font-size="18" font-weight="600"'));
  y += 20;
  const other = report.oursModule && report.oursModule !== 'zeromq-napi' ? ` — "ours" loaded from ${report.oursModule}` : '';
  out.push(text(12, y, machineLine(report.machine) + other, 'font-size="12" fill="#57606a"'));
  y += 16;
  const load = report.machine.loadAvgStart?.join(' ') ?? '?';
  const notes = [
    `Median time per REQ→REP round trip (lower is better), client and server in two processes, loopback only;`,
    `${report.config.rounds} interleaved rounds; load avg ${load} at start. "16 clients" rows: wall time / round trips, 16 Request sockets in one process.`,
  ];
  for (const line of notes) {
    out.push(text(12, y, line, 'font-size="12" fill="#57606a"'));
    y += 16;
  }
  y += 6;
  let lx = 12;
  for (const [impl, color] of Object.entries(COLORS)) {
    if (impl === 'ours-serve') continue;
    const name = impl === 'ours-request' ? 'ours request() / serve(c=16)' : IMPL_NAMES[impl];
    out.push(`<rect x="${lx}" y="${y - 10}" width="12" height="12" fill="${color}"/>`);
    out.push(text(lx + 16, y, name, 'font-size="12"'));
    lx += 28 + name.length * 7;
  }
  y += 18;

  for (const c of report.cases) {
    const present = c.impls.filter((/** @type {string} */ i) => c.results[i]);
    const max = Math.max(...present.map((/** @type {string} */ i) => c.results[i].usPerRt), 1e-9);
    out.push(text(12, y + BAR_H - 2, c.id, 'font-size="13" font-weight="600"'));
    for (const impl of c.impls) {
      const r = c.results[impl];
      out.push(text(LABEL_W + 10, y + BAR_H - 3, IMPL_NAMES[impl], 'font-size="11" fill="#57606a"'));
      if (r) {
        const w = Math.max(1, (r.usPerRt / max) * BAR_MAX);
        out.push(`<rect x="${BAR_X}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS[impl]}" rx="2"/>`);
        const label = fmtUs(r.usPerRt) + (impl.startsWith('ours') ? ratioNote(r) : '');
        out.push(text(Math.round(BAR_X + w + 6), y + BAR_H - 3, label, 'font-size="11"'));
      } else {
        out.push(text(BAR_X, y + BAR_H - 3, 'n/a', 'font-size="11" fill="#8b949e"'));
      }
      y += BAR_H + BAR_GAP;
    }
    out.push(`<line x1="12" x2="${WIDTH - 12}" y1="${y + CASE_GAP / 2 - 2}" y2="${y + CASE_GAP / 2 - 2}" stroke="#eaeef2"/>`);
    y += CASE_GAP;
  }
  const rss = Object.entries(report.peakRssKiB ?? {})
    .filter(([, kib]) => kib != null)
    .map(([label, kib]) => `${label.replace(/ \(.*\)$/, '')} ${Math.round(/** @type {number} */ (kib) / 1024)}`);
  if (rss.length) {
    y += 4;
    out.push(text(12, y, `Peak RSS (MiB) per process: ${rss.join(', ')}`, 'font-size="12" fill="#57606a"'));
    y += 8;
  }
  const height = y + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
