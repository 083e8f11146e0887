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

/**
 * @param {string} module
 */
function imports(module) {
  return fs.existsSync(PYTHON) && run(PYTHON, ['-c', `import ${module}`]) === '';
}

/**
 * Makes sure the virtual environment exists and `module` imports in it, installing `packages`
 * from PyPI the first time. Throws with the failing step's output otherwise.
 * @param {string} module  what must import, e.g. 'zmq'
 * @param {readonly string[]} packages  what to pip install when it does not
 */
function provision(module, packages) {
  if (imports(module)) return;
  /** @type {Array<[string, string[]]>} */
  const steps = [
    ...(fs.existsSync(PYTHON) ? [] : /** @type {Array<[string, string[]]>} */ ([['python3', ['-m', 'venv', VENV]]])),
    [PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...packages]],
  ];
  for (const [command, args] of steps) {
    const failure = run(command, args);
    if (failure !== '') {
      throw new Error(`could not provision ${packages.join(' ')} for the Python interop tests in ${VENV}:\n${failure}`);
    }
  }
  if (!imports(module)) throw new Error(`${packages.join(' ')} was installed in ${VENV} but ${module} does not import`);
}

/**
 * The path of a Python interpreter that can `import zmq`, creating the virtual environment and
 * installing pyzmq from PyPI the first time. Throws with the failing step's output otherwise.
 * @returns {string}
 */
function pythonWithPyzmq() {
  if (provisioned !== undefined) return provisioned;
  provision('zmq', ['pyzmq']);
  provisioned = PYTHON;
  return provisioned;
}

/** @type {string | undefined} */
let withMajortomo;

/**
 * The same interpreter with majortomo (Python's MDP 0.2 broker, worker and client: the Majordomo
 * interop peer) installed too, with its dependencies (six, figcan, pyyaml).
 * @returns {string}
 */
function pythonWithMajortomo() {
  if (withMajortomo !== undefined) return withMajortomo;
  pythonWithPyzmq();
  provision('majortomo', ['majortomo==0.2.0', 'six']);
  withMajortomo = PYTHON;
  return withMajortomo;
}

module.exports = { pythonWithPyzmq, pythonWithMajortomo };
