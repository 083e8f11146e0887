#!/usr/bin/env node
// Runs every cargo-fuzz target of engine/fuzz for FUZZ_SECONDS each (default 60) and prints, per
// target, the executions libFuzzer reports and whether it found a crash. Exits non-zero on any crash
// (the input is left in engine/fuzz/artifacts/<target>/).
//
//   npm run fuzz                      every target, 60 s each
//   FUZZ_SECONDS=300 npm run fuzz     longer
//   npm run fuzz -- codec greeting    only these targets
//
// Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const engine = path.resolve(__dirname, '..', 'engine');
const seconds = Number.parseInt(process.env.FUZZ_SECONDS ?? '60', 10);
if (!Number.isInteger(seconds) || seconds <= 0) {
  process.stderr.write(`FUZZ_SECONDS must be a positive integer, not ${process.env.FUZZ_SECONDS}\n`);
  process.exit(2);
}

function cargoFuzz(args, capture) {
  return spawnSync('cargo', ['+nightly', 'fuzz', ...args], {
    cwd: engine,
    encoding: 'utf8',
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    maxBuffer: 64 * 1024 * 1024,
  });
}

const listed = cargoFuzz(['list'], true);
if (listed.error || listed.status !== 0) {
  process.stderr.write(
    `cannot list fuzz targets: ${listed.error?.message ?? listed.stderr}\n` +
      'Install a nightly toolchain (rustup toolchain install nightly) and cargo-fuzz (cargo install cargo-fuzz).\n',
  );
  process.exit(2);
}
const all = listed.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
const wanted = process.argv.slice(2);
const unknown = wanted.filter((t) => !all.includes(t));
if (unknown.length > 0) {
  process.stderr.write(`unknown fuzz target(s): ${unknown.join(', ')} (known: ${all.join(', ')})\n`);
  process.exit(2);
}
const targets = wanted.length > 0 ? wanted : all;

const results = [];
for (const target of targets) {
  process.stdout.write(`\n== ${target}: ${seconds} s\n`);
  const corpus = path.join(engine, 'fuzz', 'corpus', target);
  fs.mkdirSync(corpus, { recursive: true });
  const run = cargoFuzz(['run', target, '--', `-max_total_time=${seconds}`, '-print_final_stats=1'], true);
  const out = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  // libFuzzer's own summary lines: "Done N runs in S second(s)" and "stat::number_of_executed_units: N".
  const done = /Done (\d+) runs in (\d+) second/.exec(out);
  const stat = /stat::number_of_executed_units:\s*(\d+)/.exec(out);
  const execs = done ? Number(done[1]) : stat ? Number(stat[1]) : null;
  const crashed = run.status !== 0;
  const artifact = /Test unit written to (\S+)/.exec(out)?.[1] ?? null;
  if (crashed) process.stdout.write(out.split('\n').slice(-60).join('\n'));
  results.push({ target, seconds, execs, crashed, artifact });
  process.stdout.write(`${target}: ${execs ?? '?'} execs, ${crashed ? `CRASH (${artifact ?? 'see output'})` : 'no crash'}\n`);
}

process.stdout.write('\ntarget            seconds      execs   crashes\n');
for (const r of results) {
  process.stdout.write(
    `${r.target.padEnd(16)} ${String(r.seconds).padStart(8)} ${String(r.execs ?? '?').padStart(10)} ${String(r.crashed ? 1 : 0).padStart(9)}\n`,
  );
}
process.exit(results.some((r) => r.crashed) ? 1 : 0);
