// The pyzmq (libzmq) peers' interpreter: provisioned on first use by scripts/pyzmq.js, shared with
// the Rust test runner (scripts/test-rust.js).
const pyzmq: { pythonWithPyzmq(): string } = require('../scripts/pyzmq.js');

/**
 * The path of a Python interpreter that can `import zmq`, creating the virtual environment and
 * installing pyzmq from PyPI the first time. Throws with the failing step's output otherwise.
 */
export function pythonWithPyzmq(): string {
  return pyzmq.pythonWithPyzmq();
}

const majortomo: { pythonWithMajortomo(): string } = require('../scripts/pyzmq.js');

/** The same interpreter with majortomo (MDP 0.2 in Python) installed too, on first use. */
export function pythonWithMajortomo(): string {
  return majortomo.pythonWithMajortomo();
}
