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

function main() {
  const names = process.argv.slice(2).filter((a) => a !== '--');
  const selected = (names.length > 0 ? names.map(platform) : PLATFORMS).filter((p) => p.link.tool !== 'host');
  const failed = [];
  for (const p of selected) {
    const started = Date.now();
    const missing = ensureRustTarget(p.triple);
    if (missing !== '') {
      process.stdout.write(`FAILED: clippy for ${p.name}: ${missing}\n`);
      failed.push(p.name);
      continue;
    }
    const args = ['clippy', '--workspace', '--all-targets', '--locked', '--target', p.triple, '--', '-D', 'warnings'];
    const env = { ...process.env, ...cargoEnv(p, { check: true }) };
    const result = spawnSync('cargo', args, { cwd: ROOT, env, stdio: 'inherit' });
    const ok = !result.error && result.status === 0;
    if (!ok) failed.push(p.name);
    process.stdout.write(`clippy ${p.triple} (${p.name}): ${ok ? 'clean' : 'FAILED'}, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  process.exit(failed.length > 0 ? 1 : 0);
}

main();
