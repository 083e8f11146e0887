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

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { PLATFORMS, platform, binaryPath, cdylibName, cargoEnv, crossTargetDir } = require('./platforms.js');
const { ROOT, onPath, missingApt, skipOrFail, ensureRustTarget, zigToolchain, crossSodiums, hasCrossSodium } = require('./provision.js');

/** @typedef {import('./platforms.js').Platform} Platform */
/** @typedef {{ platform: Platform, status: 'built' | 'skipped' | 'failed', file?: string, bytes?: number, seconds?: number, why?: string }} Built */

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
  install(path.join(crossTargetDir(), p.triple, 'release', cdylibName(p)), binaryPath(p));
  return done(binaryPath(p));
}

/**
 * Builds the platforms named (all when none are).
 * @returns {Built[]}
 */
function buildPlatforms(/** @type {readonly string[]} */ names, /** @type {(built: Built) => void} */ onBuilt = () => {}) {
  const selected = names.length > 0 ? names.map(platform) : PLATFORMS;
  const build = (/** @type {Platform} */ p) => {
    const built = buildOne(p);
    onBuilt(built);
    return built;
  };
  // The platforms that have their libsodium first; then every missing libsodium side by side, before
  // the builds that need them.
  const needs = selected.filter((p) => p.link.tool !== 'host' && cannotLink(p) === '' && !hasCrossSodium(p));
  const first = selected.filter((p) => !needs.includes(p)).map(build);
  crossSodiums(needs);
  const then = needs.map(build);
  return selected.map((p) => /** @type {Built} */ ([...first, ...then].find((b) => b.platform === p)));
}

/**
 * The order cross platforms are built and tested in: those that run tests here first (the longest
 * runs, qemu and Wine, which `__test__/install.test.ts` also installs; then musl), the link-only ones
 * last, so that each test run can overlap the builds after it.
 */
function buildOrder(/** @type {readonly Platform[]} */ platforms) {
  const rank = { native: 0, qemu: 1, wine: 2, musl: 3, 'link-only': 4 };
  return [...platforms].sort((a, b) => rank[a.run.kind] - rank[b.run.kind]);
}

/**
 * `--background` (the first step of `npm test`): every cross build started in a detached process at
 * the lowest priority (SCHED_IDLE and nice 19), so that it takes what CPU the lint, test and type-check steps leave idle (the JS
 * suite mostly waits on sockets and child processes), and returns at once. Nothing depends on it:
 * `buildPlatforms` in the foreground (install.test.ts, test:platforms) builds what is not built, and
 * waits for a build under way (cargo's lock on the cross target directory, the libsodium locks) rather
 * than repeating it. It stops when the shell that started it (npm's, running the `test` script) ends.
 */
function startBackground() {
  const log = path.join(ROOT, '.cache', 'platform-tests', 'background.log');
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const out = fs.openSync(log, 'w');
  // SCHED_IDLE where util-linux's chrt is (any user may choose it for their own processes): then it
  // runs only on a core nothing else wants, so a test's wake-up never waits behind it; nice 19 besides.
  const idle = onPath('chrt') ? ['chrt', '--idle', '0'] : [];
  const [command, ...args] = [...idle, 'nice', '-n', '19', process.execPath, __filename, `--supervise=${process.ppid}`];
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  fs.closeSync(out);
  process.stdout.write(`build:platforms: the cross builds go on in the background (log: ${path.relative(ROOT, log)})\n`);
}

/** The background process: the builds in a process group of their own, ended when `watched` is gone. */
function supervise(/** @type {number} */ watched) {
  const started = Date.now();
  const cross = buildOrder(PLATFORMS.filter((p) => p.link.tool !== 'host'));
  // In the order `npm test` wants them: the platforms install.test.ts installs (qemu, Wine), clippy
  // for every cross target (`npm run lint:platforms`), then the rest of test:platforms' builds. Each
  // step goes on whether the one before failed: the foreground repeats a failed one and reports it.
  const first = cross.filter((p) => p.run.kind === 'qemu' || p.run.kind === 'wine').map((p) => p.name);
  const rest = cross.filter((p) => !first.includes(p.name)).map((p) => p.name);
  const steps = [
    `require(${JSON.stringify(__filename)}).buildPlatforms(${JSON.stringify(first)})`,
    `require('node:child_process').spawnSync(process.execPath, [${JSON.stringify(path.join(__dirname, 'clippy-platforms.js'))}], { stdio: 'inherit' })`,
    `require(${JSON.stringify(__filename)}).buildPlatforms(${JSON.stringify(rest)})`,
  ];
  const script = steps.map((step) => `try { ${step}; } catch (err) { console.log(String(err)); }`).join('\n');
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: 'inherit', detached: true });
  const alive = () => {
    try {
      process.kill(watched, 0);
      return true;
    } catch {
      return false;
    }
  };
  // Polled: nothing signals a process's end to a process that is not its parent.
  const timer = setInterval(() => {
    if (alive() || child.pid === undefined) return;
    process.stdout.write(`build:platforms: process ${watched} ended: stopping the background builds\n`);
    // SIGKILL: libsodium's configure traps SIGTERM and carries on; cargo's locks go with the process.
    process.kill(-child.pid, 'SIGKILL');
  }, 2000);
  child.once('close', (code, signal) => {
    clearInterval(timer);
    process.stdout.write(`[time] background cross builds: ${signal ?? `exit ${code}`} after ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    process.exit(code ?? 1);
  });
}

function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--background')) return startBackground();
  const supervised = /^--supervise=(\d+)$/.exec(argv.find((a) => a.startsWith('--supervise=')) ?? '');
  if (supervised) return supervise(Number(supervised[1]));
  const names = argv.filter((a) => !a.startsWith('--'));
  // `--results-fd=N` (scripts/test-platforms.js, which builds in this child while it tests): each
  // platform's result as one JSON line on file descriptor N as soon as it is built.
  const resultsFd = Number(/^--results-fd=(\d+)$/.exec(argv.find((a) => a.startsWith('--results-fd=')) ?? '')?.[1] ?? -1);
  const report = (/** @type {Built} */ built) => {
    if (resultsFd >= 0) fs.writeSync(resultsFd, `${JSON.stringify({ ...built, platform: built.platform.name })}\n`);
  };
  let results;
  try {
    results = buildPlatforms(names, report);
  } catch (err) {
    process.stderr.write(`build-platforms: ${/** @type {Error} */ (err).message}\n`);
    process.exit(1);
  }
  const count = (/** @type {Built['status']} */ s) => results.filter((r) => r.status === s).length;
  process.stdout.write(`build:platforms: ${count('built')} built, ${count('skipped')} skipped, ${count('failed')} failed\n`);
  process.exit(count('failed') > 0 ? 1 : 0);
}

if (require.main === module) main();

module.exports = { buildPlatforms, buildOrder };
