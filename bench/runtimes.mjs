// `npm run bench:runtimes`: round trips (16-byte request and reply over tcp loopback, one at a
// time, a Reply and a Request in one process) on Node, Bun and Deno (the devDependencies), and
// zeromq.js on each for the ratio. Prints a table and writes bench/results/runtimes.{json,md}.
// BENCH_N / BENCH_WARM set the counts (2000 after 500 of warm-up).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const child = path.join(here, 'child', 'runtime-rt.mjs');
const count = process.env.BENCH_N ?? '2000';
const warm = process.env.BENCH_WARM ?? '500';

/** @param {string[]} candidates */
function binary(candidates) {
  for (const c of candidates) {
    const file = path.join(root, 'node_modules', c);
    if (fs.existsSync(file) && fs.statSync(file).size > 1024 * 1024) return file;
  }
  return null;
}

/** @type {Array<{ name: string, bin: string | null, args: string[] }>} */
const runtimes = [
  { name: 'node', bin: process.execPath, args: [] },
  { name: 'bun', bin: binary(['bun/bin/bun.exe', '@oven/bun-linux-x64/bin/bun']), args: [] },
  { name: 'deno', bin: binary(['deno/deno', '@deno/linux-x64-glibc/deno']), args: ['run', '-A'] },
];

const rows = [];
for (const lib of ['ours', 'zeromqjs']) {
  for (const rt of runtimes) {
    if (rt.bin === null) {
      rows.push({ runtime: rt.name, key: lib, lib, error: 'not installed' });
      continue;
    }
    const r = spawnSync(rt.bin, [...rt.args, child, lib, warm, count], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
    if (r.status === 0 && line) {
      rows.push({ key: lib, ...JSON.parse(line) });
    } else {
      const why = r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGKILL'
        ? 'no result within 60 s (hangs)'
        : (`${r.stderr}`.split('\n').find((l) => /^panic|error/i.test(l)) ?? `exit ${r.status ?? r.signal}`).trim();
      rows.push({ runtime: rt.name, key: lib, lib, error: why });
    }
    process.stderr.write(`${rt.name} ${lib}: ${JSON.stringify(rows[rows.length - 1])}\n`);
  }
}

const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
const us = (/** @type {number} */ x) => x.toFixed(1);
const oursNode = rows.find((r) => r.key === 'ours' && String(r.runtime).startsWith('node') && !r.error);
const lines = [
  `Round trips, 16 B request/reply over tcp loopback, one process, N=${count} after ${warm} warm-up; ${os.cpus().length} cores, load avg ${load}.`,
  '',
  '| runtime | library | median us | p99 us | mean us | median vs ours on Node |',
  '|---|---|---:|---:|---:|---:|',
  ...rows.map((r) =>
    r.error
      ? `| ${r.runtime} | ${r.key === 'ours' ? 'zeromq-napi' : 'zeromq.js'} | - | - | - | ${r.error} |`
      : `| ${r.runtime} | ${r.lib} | ${us(r.medianUs)} | ${us(r.p99Us)} | ${us(r.meanUs)} | ${oursNode ? `${(r.medianUs / oursNode.medianUs).toFixed(2)}x` : '-'} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
if (!process.env.BENCH_OUT_NONE) {
  const out = path.join(here, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'runtimes.json'), `${JSON.stringify({ loadAvg: os.loadavg(), count: Number(count), warm: Number(warm), rows }, null, 2)}\n`);
  fs.writeFileSync(path.join(out, 'runtimes.md'), `${lines.join('\n')}\n`);
}
