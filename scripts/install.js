#!/usr/bin/env node
// The package's "install" script. It compiles the addon only when it has to:
// - in a clone of the repository (the package is the project, not inside node_modules): always,
//   that is the development flow (`npm install && npm test`);
// - when a build from source is asked for (`npm install --build-from-source`, i.e.
//   npm_config_build_from_source=true, or a list of package names that includes zeromq-napi);
// - when no prebuilt binary for this platform loads (none published for it, optional
//   dependencies omitted, a binary that does not load here).
// Otherwise (the prebuilt zeromq-napi-<platform> package loads) it does nothing. Without cargo a
// needed build fails with a message that says what to install (scripts/build.js).
//
// Environment: ZEROMQ_NAPI_SKIP_BUILD=1 skips everything; CARGO and CARGO_TARGET_DIR as in build.js.
'use strict';

const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { platformPackage } = require('../lib/binding.js');

const root = path.resolve(__dirname, '..');

/** @param {string} line */
function say(line) {
  // stderr: npm shows it with --foreground-scripts, and with the error if the install fails.
  process.stderr.write(`zeromq-napi: ${line}\n`);
}

function buildFromSourceRequested() {
  const value = (process.env.npm_config_build_from_source || '').trim();
  if (value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  return value.split(',').map((name) => name.trim()).includes('zeromq-napi');
}

function isClone() {
  return !root.split(path.sep).includes('node_modules');
}

/**
 * Whether the prebuilt binary package loads. Tried in a child process so that a binary that
 * crashes while loading (wrong libc, too old a system) fails this check instead of the install.
 */
function prebuiltLoads(pkg) {
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(pkg)})`], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30000,
  });
  return !probe.error && probe.status === 0;
}

function main() {
  if (process.env.ZEROMQ_NAPI_SKIP_BUILD === '1') {
    say('ZEROMQ_NAPI_SKIP_BUILD=1, not building the addon');
    return;
  }
  const { build, findCargo, NO_CARGO } = require('./build.js');
  if (isClone()) {
    build(false);
    return;
  }
  const pkg = platformPackage();
  let why;
  if (buildFromSourceRequested()) {
    why = 'a build from source was asked for (npm_config_build_from_source)';
  } else if (prebuiltLoads(pkg)) {
    say(`using the prebuilt binary ${pkg}`);
    return;
  } else {
    why = `no prebuilt binary (${pkg}) loads here`;
  }
  if (!findCargo()) {
    process.stderr.write(`\nzeromq-napi: ${why}.\n${NO_CARGO}\n\n`);
    process.exit(1);
  }
  say(`${why}: building it from source with cargo (a release build, about 1 min)`);
  build(false);
}

main();
