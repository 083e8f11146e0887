'use strict';
// Finds the native addon, the napi-rs way: a binary built from source in this package comes first
// (a clone after `npm install` / `npm run build`, or an install that compiled because no prebuilt
// binary matched), then the prebuilt binary of this platform, an optional dependency named
// `zeromq-napi-<platform>` (npm installs only the one whose `os`/`cpu`/`libc` match).
// scripts/install.js uses the same names to decide whether it must compile.

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

/** The napi-rs platform name (`linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`, ...). */
function platformName() {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
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
      `On linux-x64 (glibc) the binary comes prebuilt in the optional dependency ${platformPackage()}: ` +
      'install without --omit=optional / --no-optional. Elsewhere, zeromq-napi\'s install script builds ' +
      'it with cargo (Rust 1.85+, https://rustup.rs): if your package manager skipped that script, approve ' +
      'it (npm: `npm install-scripts approve zeromq-napi`; pnpm: `pnpm approve-builds`; Bun: ' +
      '"trustedDependencies": ["zeromq-napi"]) and install again.',
  );
}

module.exports = { load, candidates, localPath, platformName, platformPackage };
