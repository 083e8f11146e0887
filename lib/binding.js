'use strict';
// Finds the native addon, the napi-rs way: a binary named by ZEROMQ_NAPI_NATIVE_LIBRARY_PATH comes
// first (the platform test runs point it at a cross-built binary), then a binary built from source in
// this package (a clone after `npm install` / `npm run build`, or `node scripts/build.js` run by a
// user on a platform without a prebuilt binary), then the prebuilt binary of this platform, an
// optional dependency named `zeromq-napi-<platform>` (npm installs only the one whose
// `os`/`cpu`/`libc` match). The platform names are those of scripts/platforms.js (a test checks
// that `platformName` gives each of them for its os/cpu/libc).

const fs = require('node:fs');
const path = require('node:path');

const localPath = path.join(__dirname, '..', 'zeromq-napi.node');

/** glibc or musl: napi-rs' test (ldd names its libc; a Node report says which glibc it runs on). */
function isMusl() {
  try {
    return fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    // no ldd to read: ask the runtime
  }
  try {
    const report = /** @type {{ header?: { glibcVersionRuntime?: string } } | undefined} */ (
      process.report?.getReport?.()
    );
    return report?.header?.glibcVersionRuntime === undefined;
  } catch {
    return false;
  }
}

/**
 * The napi-rs platform name (`linux-x64-gnu`, `darwin-arm64`, ...). Windows' binary is built with
 * mingw (x86_64-pc-windows-gnu): its package is `win32-x64-gnu`, not napi-rs' usual `-msvc`.
 * @param {{ platform: string, arch: string, musl: () => boolean }} [host]
 */
function platformName(host = { platform: process.platform, arch: process.arch, musl: isMusl }) {
  const { platform, arch } = host;
  if (platform === 'linux') return `linux-${arch}-${host.musl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-gnu`;
  return `${platform}-${arch}`;
}

/** The optional dependency that holds this platform's prebuilt binary. */
function platformPackage() {
  return `zeromq-napi-${platformName()}`;
}

/**
 * Where a binary may come from, in the order they are tried.
 * @returns {{ label: string, load: () => unknown, missing: (err: unknown) => boolean }[]}
 */
function candidates() {
  const pkg = platformPackage();
  const override = process.env.ZEROMQ_NAPI_NATIVE_LIBRARY_PATH;
  if (override) {
    // An explicit choice: no fallback that would hide why it did not load.
    return [{ label: `ZEROMQ_NAPI_NATIVE_LIBRARY_PATH=${override}`, load: () => require(override), missing: () => !fs.existsSync(override) }];
  }
  return [
    {
      label: `the local build ${localPath}`,
      load: () => require(localPath),
      missing: () => !fs.existsSync(localPath),
    },
    {
      label: `the prebuilt binary package ${pkg}`,
      load: () => require(pkg),
      missing: (err) =>
        /** @type {{ code?: string }} */ (err).code === 'MODULE_NOT_FOUND' &&
        String(/** @type {Error} */ (err).message).includes(`'${pkg}'`),
    },
  ];
}

/** Loads the addon, or throws an Error that lists what was tried and how to get a binary. */
function load() {
  const tried = [];
  for (const candidate of candidates()) {
    try {
      return candidate.load();
    } catch (err) {
      tried.push(
        candidate.missing(err)
          ? `${candidate.label}: not installed`
          : `${candidate.label}: ${/** @type {Error} */ (err).message}`,
      );
    }
  }
  throw new Error(
    `no native addon for ${platformName()} could be loaded (${tried.join('; ')}). ` +
      `The prebuilt binaries (linux x64/arm64 with glibc or musl, darwin x64/arm64, win32 x64) come in ` +
      `the optional dependency ${platformPackage()}: install without --omit=optional / --no-optional. ` +
      `Elsewhere, build it from source with cargo (Rust 1.85+, https://rustup.rs): ${buildCommand()}`,
  );
}

/** The one command that builds the addon from source into this package (README: Install). */
function buildCommand() {
  return `node ${JSON.stringify(path.join(__dirname, '..', 'scripts', 'build.js'))}`;
}

module.exports = { load, candidates, localPath, platformName, platformPackage, buildCommand };
