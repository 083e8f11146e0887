'use strict';
// `npm run test:rust`: every engine test, including the ones that talk to libzmq through pyzmq
// (ignored by a bare `cargo test`, which must pass with cargo alone): the virtual environment
// with pyzmq is provisioned here, as the JS tests do, and the ignored tests run with it.
const { spawnSync } = require('node:child_process');
const { pythonWithPyzmq } = require('./pyzmq.js');

/** @param {string[]} args @param {NodeJS.ProcessEnv} env */
function cargo(args, env) {
  const result = spawnSync('cargo', args, { stdio: 'inherit', env });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

cargo(['test', '-p', 'zeromq-napi-engine'], process.env);
const python = pythonWithPyzmq();
cargo(['test', '-p', 'zeromq-napi-engine', '--test', 'it', '--', '--ignored'], {
  ...process.env,
  ZEROMQ_NAPI_PYTHON: python,
});
