#!/usr/bin/env node
// Fills npm/<platform>/ with this machine's release build so that `npm pack npm/<platform>` makes
// the prebuilt binary package (what `napi artifacts` does in napi-rs projects). It runs the release
// build first (cargo makes that a no-op when nothing changed), so the binary is never a stale or a
// debug one, and it checks that the platform package and the main package agree on the version.
//
//   node scripts/prepare-platform.js      prints the directory to pack
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { platformName, platformPackage } = require('../lib/binding.js');
const { build } = require('./build.js');

const root = path.resolve(__dirname, '..');

function fail(message) {
  process.stderr.write(`prepare-platform: ${message}\n`);
  process.exit(1);
}

function main() {
  const name = platformName();
  const dir = path.join(root, 'npm', name);
  const manifestPath = path.join(dir, 'package.json');
  if (!fs.existsSync(manifestPath)) fail(`no platform package for ${name} (${manifestPath} is missing)`);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const main = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  if (manifest.name !== platformPackage()) fail(`${manifestPath} names ${manifest.name}, expected ${platformPackage()}`);
  if (manifest.version !== main.version) fail(`${manifest.name} is ${manifest.version}, zeromq-napi is ${main.version}`);
  const wanted = main.optionalDependencies?.[manifest.name];
  if (wanted !== main.version) fail(`package.json optionalDependencies must have "${manifest.name}": "${main.version}"`);

  build(false);
  const destination = path.join(dir, manifest.main);
  fs.copyFileSync(path.join(root, 'zeromq-napi.node'), destination);
  process.stdout.write(`${dir}\n`);
}

main();
