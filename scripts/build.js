#!/usr/bin/env node
// Builds the native addon from source with cargo and copies it to ./zeromq-napi.node, where
// lib/binding.js looks first.
//
// It runs in a clone as the repository's `prepare` step (so `npm install` builds the host's binary:
// the development flow), and it is the one command a user runs where no prebuilt binary matches:
// `node node_modules/zeromq-napi/scripts/build.js` (lib/binding.js's error names it with the full
// path). The package has no install script: npm, pnpm and Bun install it with nothing to approve.
// It drives cargo directly (no devDependencies there) and needs nothing but a Rust toolchain.
//
//   node scripts/build.js           release build (the default)
//   node scripts/build.js --debug   debug build (faster to compile, slower to run)
//
// Environment: CARGO (cargo binary to use), CARGO_TARGET_DIR (honoured, as cargo does),
// ZEROMQ_NAPI_SKIP_BUILD=1 (skip, e.g. when the .node file is provided some other way),
// ZEROMQ_NAPI_KEEP_TARGET=1 (keep cargo's build directory; see `cleanUp`).
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const crate = 'zeromq-napi';
const output = path.join(root, 'zeromq-napi.node');

function fail(message) {
  process.stderr.write(`\nzeromq-napi: ${message}\n\n`);
  process.exit(1);
}

// What a user without cargo needs to hear.
const NO_CARGO = [
  'cargo (the Rust toolchain) was not found; it is needed to build the native addon from source.',
  'Install Rust 1.85 or newer: curl --proto =https --tlsv1.2 -sSf https://sh.rustup.rs | sh  (see https://rustup.rs),',
  'make sure `cargo` is on PATH (or set CARGO=/path/to/cargo), then run this command again.',
  'linux x64/arm64 (glibc and musl), darwin x64/arm64 and win32 x64 need no Rust: their prebuilt binary',
  'comes in the optional dependency zeromq-napi-<platform>; do not omit optional dependencies (--omit=optional).',
].join('\n');

function findCargo() {
  const candidates = [];
  if (process.env.CARGO) candidates.push(process.env.CARGO);
  candidates.push('cargo');
  // rustup's default location: npm may run scripts with a PATH that lacks ~/.cargo/bin.
  const home = process.env.CARGO_HOME || path.join(os.homedir(), '.cargo');
  candidates.push(path.join(home, 'bin', process.platform === 'win32' ? 'cargo.exe' : 'cargo'));
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (!probe.error && probe.status === 0) return { cargo: candidate, version: probe.stdout.trim() };
  }
  return null;
}

// The file cargo produces for a cdylib, per platform.
function libraryName() {
  const base = crate.replace(/-/g, '_');
  switch (process.platform) {
    case 'win32':
      return `${base}.dll`;
    case 'darwin':
      return `lib${base}.dylib`;
    default:
      return `lib${base}.so`;
  }
}

// Where cargo puts its output: `cargo metadata` knows about CARGO_TARGET_DIR and
// .cargo/config.toml alike; fall back to the environment variable or ./target.
function targetDir(cargo) {
  const meta = spawnSync(cargo, ['metadata', '--format-version', '1', '--no-deps'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!meta.error && meta.status === 0) {
    try {
      const dir = JSON.parse(meta.stdout).target_directory;
      if (typeof dir === 'string' && dir.length > 0) return dir;
    } catch {
      // fall through
    }
  }
  const fromEnv = process.env.CARGO_TARGET_DIR;
  if (fromEnv) return path.resolve(root, fromEnv);
  return path.join(root, 'target');
}

// Installed as a dependency (inside node_modules), cargo's default build directory is ~100 MB of
// intermediate files nobody will use again: remove it. A clone keeps it (incremental rebuilds), and
// so does an explicitly chosen CARGO_TARGET_DIR.
function cleanUp(target) {
  const insideNodeModules = root.split(path.sep).includes('node_modules');
  const defaultTarget = path.resolve(target) === path.join(root, 'target');
  if (!insideNodeModules || !defaultTarget || process.env.ZEROMQ_NAPI_KEEP_TARGET === '1') return;
  try {
    fs.rmSync(target, { recursive: true, force: true });
  } catch {
    // Only disk space is at stake.
  }
}

/** Builds the addon (release unless `debug`) and copies it to ./zeromq-napi.node; exits on failure. */
function build(debug) {
  const found = findCargo();
  if (!found) {
    fail(NO_CARGO);
  }
  const { cargo, version } = found;
  const args = ['build', '-p', crate];
  if (!debug) args.push('--release');
  // Reproducible dependency versions whenever the lock file ships with the package.
  if (fs.existsSync(path.join(root, 'Cargo.lock'))) args.push('--locked');

  process.stderr.write(`zeromq-napi: building the native addon (${debug ? 'debug' : 'release'}) with ${version}\n`);
  process.stderr.write(`zeromq-napi: ${cargo} ${args.join(' ')}\n`);
  const build = spawnSync(cargo, args, { cwd: root, stdio: 'inherit' });
  if (build.error) fail(`could not run cargo: ${build.error.message}`);
  if (build.status !== 0) {
    fail(`cargo build failed (exit status ${build.status ?? build.signal}); see the compiler output above.`);
  }

  const target = targetDir(cargo);
  const built = path.join(target, debug ? 'debug' : 'release', libraryName());
  if (!fs.existsSync(built)) fail(`cargo reported success but ${built} does not exist.`);
  // Copy then rename: a process that has the old addon loaded keeps a valid mapping.
  const temporary = `${output}.${process.pid}.tmp`;
  try {
    fs.copyFileSync(built, temporary);
    fs.renameSync(temporary, output);
  } catch (err) {
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // nothing to clean up
    }
    fail(`could not copy ${built} to ${output}: ${err.message}`);
  }
  process.stderr.write(`zeromq-napi: wrote ${path.relative(process.cwd(), output) || output}\n`);
  cleanUp(target);
}

function main() {
  if (process.env.ZEROMQ_NAPI_SKIP_BUILD === '1') {
    process.stdout.write('zeromq-napi: ZEROMQ_NAPI_SKIP_BUILD=1, not building the addon\n');
    return;
  }
  build(process.argv.includes('--debug'));
}

if (require.main === module) main();

module.exports = { build, findCargo, targetDir, NO_CARGO };
