'use strict';
// CommonJS entry of zeromq-napi: promise-based ZeroMQ REQ/REP on a Rust ZMTP engine.
// Loading it loads the native addon (./zeromq-napi.node, built by `npm install` / `npm run build`).

const { Request } = require('./lib/request.js');
const { Reply } = require('./lib/reply.js');
const { isZmqError } = require('./lib/is-zmq-error.js');

module.exports = { Request, Reply, isZmqError };
