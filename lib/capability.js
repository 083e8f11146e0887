'use strict';
// Module values of zeromq.js v6 that describe the build: `capability` (what it supports) and
// `version`. `version` is this package's own: it does not pretend to be a libzmq version.

const { version } = require('../package.json');

/**
 * zeromq.js names its flags after libzmq's `zmq_has()`; the ones this engine does not have are
 * present and false, so feature tests written for zeromq.js read the truth here too.
 * `ipc`: the engine rejects `ipc://` on Windows (no Unix domain sockets through tokio there), so
 * it is false exactly there, and so is `inproc` (its connections are Unix socket pairs);
 * `__test__/exports.test.ts` checks the flags against a real bind.
 */
const capability = Object.freeze({
  ipc: process.platform !== 'win32',
  tcp: true,
  inproc: process.platform !== 'win32',
  pgm: false,
  tipc: false,
  norm: false,
  curve: true,
  plain: true,
  gssapi: false,
  draft: false,
});

module.exports = { capability, version };
