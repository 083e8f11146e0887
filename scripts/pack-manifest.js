#!/usr/bin/env node
// The published package.json has no `prepare`: npm 11 lists a dependency's `prepare` among the
// install scripts to approve (`npm warn install-scripts ... (prepare: node scripts/build.js)`) when
// it is installed from a tarball, although it never runs it there. In the repository `prepare` is
// what makes `npm install` in a clone build the host's binary. So `prepack` takes it out of
// package.json for the pack, and `postpack` puts the file back byte for byte (what pinst does for
// postinstall).
//
//   node scripts/pack-manifest.js strip     (prepack)
//   node scripts/pack-manifest.js restore   (postpack)
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const MANIFEST = path.join(ROOT, 'package.json');
const SAVED = path.join(ROOT, '.cache', 'package.json.before-pack');
/** Repository-only scripts: they run in a clone, never for a user. */
const REPOSITORY_ONLY = ['prepare'];

function strip() {
  const text = fs.readFileSync(MANIFEST, 'utf8');
  fs.mkdirSync(path.dirname(SAVED), { recursive: true });
  fs.writeFileSync(SAVED, text);
  const manifest = JSON.parse(text);
  for (const name of REPOSITORY_ONLY) delete manifest.scripts[name];
  fs.writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
}

function restore() {
  if (!fs.existsSync(SAVED)) return;
  fs.writeFileSync(MANIFEST, fs.readFileSync(SAVED, 'utf8'));
  fs.rmSync(SAVED);
}

const command = process.argv[2];
if (command === 'strip') strip();
else if (command === 'restore') restore();
else {
  process.stderr.write('usage: node scripts/pack-manifest.js strip|restore\n');
  process.exit(2);
}
