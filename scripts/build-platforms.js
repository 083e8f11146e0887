#!/usr/bin/env node
// `npm run build:platforms`: the release binary of every platform in scripts/platforms.js, built on
// this Linux machine by cross-compilation (one release build per target), into
// npm/<platform>/zeromq-napi.<platform>.node, ready for `npm pack npm/<platform>`.
//
//   node scripts/build-platforms.js                       every platform
//   node scripts/build-platforms.js linux-arm64-gnu ...   the ones named
//
// Provisions what it can (rustup targets; zig and cargo-zigbuild from PyPI under .cache/); a missing
// system linker (a Debian package: `node scripts/platforms.js apt` lists them) skips that platform
// with the reason, and fails the run when CI=true. Exit status 0 when every platform built or skipped.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { PLATFORMS, platform, binaryPath, cdylibName, cargoEnv } = require('./platforms.js');
const { ROOT, missingApt, skipOrFail, ensureRustTarget, zigToolchain } = require('./provision.js');

/** @typedef {import('./platforms.js').Platform} Platform */
/** @typedef {{ platform: Platform, status: 'built' | 'skipped' | 'failed', file?: string, bytes?: number, seconds?: number, why?: string }} Built */

/** cargo's target directory (CARGO_TARGET_DIR and .cargo/config.toml honoured, as build.js does). */
function targetDir() {
  const { targetDir: fromBuild } = require('./build.js');
  return fromBuild('cargo');
}

/** Why `p` cannot be linked here, or '' when it can. */
function cannotLink(/** @type {Platform} */ p) {
  if (p.link.tool !== 'gcc') return '';
  const missing = missingApt(p.link.apt);
  return missing.length > 0 ? `the linker's Debian packages are missing: apt-get install ${missing.join(' ')}` : '';
}

/**
 * The cargo command line and environment for a release build of `p`.
 * @returns {{ command: string, args: string[], env: NodeJS.ProcessEnv }}
 */
function cargoBuild(/** @type {Platform} */ p) {
  const env = { ...process.env, ...cargoEnv(p) };
  const args = ['-p', 'zeromq-napi', '--release', '--locked', '--target', p.triple];
  if (p.link.tool === 'zig') {
    env.PATH = `${zigToolchain()}${path.delimiter}${env.PATH ?? ''}`;
    return { command: 'cargo', args: ['zigbuild', ...args], env };
  }
  return { command: 'cargo', args: ['build', ...args], env };
}

/** Copies `from` to `to` through a temporary file (a process with the old binary loaded keeps it). */
function install(/** @type {string} */ from, /** @type {string} */ to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const temporary = `${to}.${process.pid}.tmp`;
  fs.copyFileSync(from, temporary);
  fs.renameSync(temporary, to);
}

/** Builds one platform's binary. @returns {Built} */
function buildOne(/** @type {Platform} */ p) {
  const started = Date.now();
  const done = (/** @type {string} */ file) => {
    const bytes = fs.statSync(file).size;
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`${p.name}: ${path.relative(ROOT, file)} ${(bytes / 1e6).toFixed(2)} MB (${seconds.toFixed(0)} s)\n`);
    return /** @type {Built} */ ({ platform: p, status: 'built', file, bytes, seconds });
  };
  if (p.link.tool === 'host') {
    // The host's binary is the one `npm install` builds: the same build, no second target directory.
    const { build } = require('./build.js');
    build(false);
    install(path.join(ROOT, 'zeromq-napi.node'), binaryPath(p));
    return done(binaryPath(p));
  }
  const why = cannotLink(p) || ensureRustTarget(p.triple);
  if (why !== '') {
    return { platform: p, status: skipOrFail(`build of ${p.name}`, why) ? 'skipped' : 'failed', why };
  }
  const { command, args, env } = cargoBuild(p);
  process.stdout.write(`${p.name}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { cwd: ROOT, env, stdio: 'inherit' });
  if (result.error || result.status !== 0) {
    const failure = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
    process.stdout.write(`FAILED: build of ${p.name}: cargo ${failure}\n`);
    return { platform: p, status: 'failed', why: failure };
  }
  install(path.join(targetDir(), p.triple, 'release', cdylibName(p)), binaryPath(p));
  return done(binaryPath(p));
}

/**
 * Builds the platforms named (all when none are).
 * @returns {Built[]}
 */
function buildPlatforms(/** @type {readonly string[]} */ names) {
  const selected = names.length > 0 ? names.map(platform) : PLATFORMS;
  return selected.map(buildOne);
}

function main() {
  const names = process.argv.slice(2).filter((a) => a !== '--');
  let results;
  try {
    results = buildPlatforms(names);
  } catch (err) {
    process.stderr.write(`build-platforms: ${/** @type {Error} */ (err).message}\n`);
    process.exit(1);
  }
  const count = (/** @type {Built['status']} */ s) => results.filter((r) => r.status === s).length;
  process.stdout.write(`build:platforms: ${count('built')} built, ${count('skipped')} skipped, ${count('failed')} failed\n`);
  process.exit(count('failed') > 0 ? 1 : 0);
}

if (require.main === module) main();

module.exports = { buildPlatforms };
