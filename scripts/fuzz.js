#!/usr/bin/env node
// Runs every cargo-fuzz target of engine/fuzz for FUZZ_SECONDS each (default 60) and prints, per
// target, the executions libFuzzer reports and whether it found a crash. Exits non-zero on any crash
// or build failure (a crashing input is left in engine/fuzz/artifacts/<target>/).
//
//   npm run fuzz                      every target, 60 s each
//   FUZZ_SECONDS=300 npm run fuzz     longer
//   npm run fuzz -- codec greeting    only these targets
//
// The curve_* targets run without AddressSanitizer (FUZZ_SANITIZER overrides it for every target):
// their time goes into X25519, which ASan slows several-fold, and the code under test has no
// `unsafe`; debug assertions (integer overflow, bounds) stay on everywhere.
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

function sanitizer(target) {
  if (process.env.FUZZ_SANITIZER) return process.env.FUZZ_SANITIZER;
  return target.startsWith('curve_') ? 'none' : 'address';
}

// cargo-fuzz sets RUSTFLAGS itself (adding any already set), and RUSTFLAGS replaces the
// repository's .cargo/config.toml rustflags: its poly1305 cfg is passed on here.
const FORCE_SOFT = '--cfg poly1305_force_soft';
const rustflags = [process.env.RUSTFLAGS, FORCE_SOFT].filter(Boolean).join(' ');

function cargoFuzz(args) {
  return spawnSync('cargo', ['+nightly', 'fuzz', ...args], {
    cwd: engine,
    env: { ...process.env, RUSTFLAGS: rustflags },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

const listed = cargoFuzz(['list']);
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
// Grouped by sanitizer: switching it changes RUSTFLAGS, which rebuilds everything.
const targets = (wanted.length > 0 ? wanted : all)
  .slice()
  .sort((a, b) => sanitizer(a).localeCompare(sanitizer(b)) || a.localeCompare(b));

const results = [];
for (const target of targets) {
  const san = sanitizer(target);
  process.stdout.write(`\n== ${target}: ${seconds} s, sanitizer ${san}\n`);
  const built = cargoFuzz(['build', '-s', san, target]);
  if (built.status !== 0) {
    process.stdout.write(`${built.stdout}${built.stderr}`.split('\n').slice(-40).join('\n'));
    results.push({ target, seconds, execs: null, outcome: 'BUILD FAILED' });
    continue;
  }
  fs.mkdirSync(path.join(engine, 'fuzz', 'corpus', target), { recursive: true });
  const run = cargoFuzz(['run', '-s', san, target, '--', `-max_total_time=${seconds}`, '-print_final_stats=1']);
  const out = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  // libFuzzer's own summary lines: "Done N runs in S second(s)" and "stat::number_of_executed_units: N".
  const done = /Done (\d+) runs in (\d+) second/.exec(out);
  const stat = /stat::number_of_executed_units:\s*(\d+)/.exec(out);
  const execs = done ? Number(done[1]) : stat ? Number(stat[1]) : null;
  const artifact = /Test unit written to (\S+)/.exec(out)?.[1] ?? null;
  const outcome = run.status === 0 ? 'no crash' : `CRASH ${artifact ?? '(see output)'}`;
  if (run.status !== 0) process.stdout.write(out.split('\n').slice(-60).join('\n'));
  results.push({ target, seconds, execs, outcome });
  process.stdout.write(`${target}: ${execs ?? '?'} execs, ${outcome}\n`);
}

process.stdout.write('\ntarget            seconds      execs  outcome\n');
for (const r of results) {
  process.stdout.write(
    `${r.target.padEnd(16)} ${String(r.seconds).padStart(8)} ${String(r.execs ?? '?').padStart(10)}  ${r.outcome}\n`,
  );
}
process.exit(results.some((r) => r.outcome !== 'no crash') ? 1 : 0);
