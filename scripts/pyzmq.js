'use strict';
// The Python interop peers (pyzmq = libzmq) run in a virtual environment that the test suite
// provisions itself on first use, so `npm install && npm test` is all a newcomer runs: nothing
// is installed into the machine's Python and CI installs nothing the README does not.
// Used by the JS tests (__test__/python.ts) and by scripts/test-rust.js.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
/** Ignored by git (.gitignore: /.cache/). Override with ZEROMQ_NAPI_TEST_VENV. */
const VENV = process.env.ZEROMQ_NAPI_TEST_VENV ?? path.join(ROOT, '.cache', 'pyzmq-venv');
const PYTHON = path.join(VENV, 'bin', 'python');

/** @type {string | undefined} */
let provisioned;

/**
 * @param {string} command
 * @param {readonly string[]} args
 * @returns {string} '' on success, else what failed
 */
function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) return `${command}: ${result.error.message}`;
  return result.status === 0 ? '' : `${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr}`;
}

function hasPyzmq() {
  return fs.existsSync(PYTHON) && run(PYTHON, ['-c', 'import zmq']) === '';
}

/**
 * The path of a Python interpreter that can `import zmq`, creating the virtual environment and
 * installing pyzmq from PyPI the first time. Throws with the failing step's output otherwise.
 * @returns {string}
 */
function pythonWithPyzmq() {
  if (provisioned !== undefined) return provisioned;
  if (!hasPyzmq()) {
    /** @type {Array<[string, string[]]>} */
    const steps = [
      ['python3', ['-m', 'venv', VENV]],
      [PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', 'pyzmq']],
    ];
    for (const [command, args] of steps) {
      const failure = run(command, args);
      if (failure !== '') {
        throw new Error(`could not provision pyzmq for the Python interop tests in ${VENV}:\n${failure}`);
      }
    }
    if (!hasPyzmq()) throw new Error(`pyzmq was installed in ${VENV} but does not import`);
  }
  provisioned = PYTHON;
  return provisioned;
}

module.exports = { pythonWithPyzmq };
