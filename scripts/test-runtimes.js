#!/usr/bin/env node
// Runs the part of the JS suite that uses only the public API under Bun and Deno (the runtimes
// come from the `bun` and `deno` devDependencies), one test file per process, and prints what
// passed where. Not part of `npm test` yet: both runtimes lack what the addon's read path uses today
// (Bun has no uv_poll_init; under Deno libuv polls never fire).
//
//   node scripts/test-runtimes.js                   every runtime, every file
//   node scripts/test-runtimes.js deno              one runtime
//   node scripts/test-runtimes.js bun -- request    files whose name contains "request"
//
// Exit status 0 only if every file passed on every runtime that ran.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

// Test files that import only `zeromq-napi`, node: built-ins and __test__/helpers.ts (no lib/
// internals, no worker_threads, no zeromq.js or Python peers).
const FILES = [
  '__test__/request.test.ts',
  '__test__/reply.test.ts',
  '__test__/messages.test.ts',
  '__test__/errors.test.ts',
  '__test__/endpoints.test.ts',
  '__test__/abort.test.ts',
  '__test__/options.test.ts',
  '__test__/hostile.test.ts',
  '__test__/cjs.test.ts',
  '__test__/esm.test.mjs',
  '__test__/exports.test.ts',
  '__test__/events.test.ts',
];

/** The runtime binary shipped by its npm package (the wrappers' postinstall moves it into bin/). */
function binary(candidates) {
  for (const candidate of candidates) {
    const file = path.join(root, 'node_modules', candidate);
    if (fs.existsSync(file) && fs.statSync(file).size > 1024 * 1024) return file;
  }
  return null;
}

const RUNTIMES = {
  bun: {
    bin: () => binary(['bun/bin/bun.exe', '@oven/bun-linux-x64/bin/bun', '@oven/bun-darwin-aarch64/bin/bun']),
    // bun test runs node:test suites on its own runner.
    args: (file) => ['test', '--timeout', '60000', file],
  },
  deno: {
    bin: () => binary(['deno/deno', '@deno/linux-x64-glibc/deno', '@deno/darwin-arm64/deno']),
    // --no-check: `npm run test:types` type-checks these files; --sloppy-imports: they import
    // './helpers' without an extension, as TypeScript's node16 resolution of CommonJS has it.
    args: (file) => ['test', '-A', '--no-check', '--sloppy-imports', file],
  },
};

function main() {
  const argv = process.argv.slice(2);
  const dash = argv.indexOf('--');
  const names = (dash < 0 ? argv : argv.slice(0, dash)).filter(Boolean);
  const filters = dash < 0 ? [] : argv.slice(dash + 1);
  const runtimes = names.length > 0 ? names : Object.keys(RUNTIMES);
  const files = FILES.filter((f) => fs.existsSync(path.join(root, f)) && (filters.length === 0 || filters.some((x) => f.includes(x))));

  const rows = [];
  let failed = false;
  for (const name of runtimes) {
    const runtime = RUNTIMES[/** @type {'bun' | 'deno'} */ (name)];
    if (!runtime) {
      process.stderr.write(`unknown runtime ${name} (${Object.keys(RUNTIMES).join(', ')})\n`);
      process.exit(2);
    }
    const bin = runtime.bin();
    if (!bin) {
      rows.push([name, '-', `not installed (npm install the ${name} devDependency)`]);
      failed = true;
      continue;
    }
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
    for (const file of files) {
      const started = Date.now();
      const result = spawnSync(bin, runtime.args(file), {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      });
      const output = `${result.stdout}${result.stderr}`;
      const log = path.join(root, '.cache', 'runtimes', `${name}-${path.basename(file)}.log`);
      fs.mkdirSync(path.dirname(log), { recursive: true });
      fs.writeFileSync(log, output);
      const ok = result.status === 0 && !result.error;
      if (!ok) failed = true;
      const why = ok
        ? 'passed'
        : result.error
          ? `did not finish (${result.error.message})`
          : /unsupported uv function: (\w+)/.exec(output)
            ? `aborted: unsupported uv function ${/unsupported uv function: (\w+)/.exec(output)?.[1]}`
            : `failed (exit ${result.status ?? result.signal})${summary(output)}`;
      rows.push([`${name} ${version}`, file, `${why}, ${((Date.now() - started) / 1000).toFixed(1)} s`]);
      process.stdout.write(`${rows[rows.length - 1].join('  ')}\n`);
    }
  }
  process.stdout.write(`\nlogs: ${path.join('.cache', 'runtimes')}/\n`);
  process.exit(failed ? 1 : 0);
}

/** The runner's own count line, when there is one. */
function summary(output) {
  const deno = /(\d+ passed[^|\n]*\| \d+ failed[^\n(]*(?:\(\d+ steps?\))?)/.exec(output.replace(/\x1b\[[0-9;]*m/g, ''));
  if (deno) return `: ${deno[1].trim()}`;
  const bun = /(\d+) pass\b[\s\S]*?(\d+) fail\b/.exec(output);
  if (bun) return `: ${bun[1]} passed, ${bun[2]} failed`;
  return '';
}

main();
