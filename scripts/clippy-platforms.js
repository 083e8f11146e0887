#!/usr/bin/env node
// `npm run lint:platforms` (part of `npm test`): `cargo clippy -D warnings` over the whole workspace
// for every cross target of scripts/platforms.js (`npm run lint` does the host's), check only, no
// link, so a change that does not compile or warns on another platform fails here. Rust targets
// come from `rustup target add` on first use.
//
//   node scripts/clippy-platforms.js                    every cross target
//   node scripts/clippy-platforms.js win32-x64-gnu      the ones named
'use strict';

const { spawnSync } = require('node:child_process');
const { PLATFORMS, platform, cargoEnv } = require('./platforms.js');
const { ROOT, ensureRustTarget } = require('./provision.js');

/** @typedef {import('./platforms.js').Platform} Platform */

/**
 * The selected platforms in groups that one cargo invocation can check together (`--target` given
 * several times: one build graph, so both cores stay busy through each target's last, serial crates).
 * Cargo resolves features once per invocation, across all its targets: targets go together only when
 * their target-specific dependencies enable the same features. Cargo.toml's `cfg(windows)` ones (napi's
 * `dyn-symbols`, windows-sys) differ from every other target's, so Windows is checked alone; the unix
 * targets' feature sets are the same (`cargo tree -e features` per target shows it).
 * @param {readonly Platform[]} selected
 * @returns {Platform[][]}
 */
function groups(selected) {
  const windows = selected.filter((p) => p.os === 'win32');
  const others = selected.filter((p) => p.os !== 'win32');
  return [others, ...windows.map((p) => [p])].filter((g) => g.length > 0);
}

function main() {
  const names = process.argv.slice(2).filter((a) => a !== '--');
  const selected = (names.length > 0 ? names.map(platform) : PLATFORMS).filter((p) => p.link.tool !== 'host');
  const failed = [];
  for (const group of groups(selected)) {
    const started = Date.now();
    const label = group.map((p) => `${p.triple} (${p.name})`).join(', ');
    const missing = group.map((p) => ensureRustTarget(p.triple)).filter((m) => m !== '');
    if (missing.length > 0) {
      process.stdout.write(`FAILED: clippy for ${label}: ${missing.join('; ')}\n`);
      failed.push(...group.map((p) => p.name));
      continue;
    }
    const targets = group.flatMap((p) => ['--target', p.triple]);
    const args = ['clippy', '--workspace', '--all-targets', '--locked', ...targets, '--', '-D', 'warnings'];
    const env = Object.assign({ ...process.env }, ...group.map((p) => cargoEnv(p, { check: true })));
    const result = spawnSync('cargo', args, { cwd: ROOT, env, stdio: 'inherit' });
    const ok = !result.error && result.status === 0;
    if (!ok) failed.push(...group.map((p) => p.name));
    process.stdout.write(`clippy ${label}: ${ok ? 'clean' : 'FAILED'}, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  process.exit(failed.length > 0 ? 1 : 0);
}

main();
