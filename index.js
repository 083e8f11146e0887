'use strict';
// CommonJS entry of zeromq-napi: promise-based ZeroMQ REQ/REP, DEALER/ROUTER, PUB/SUB, XPUB/XSUB,
// PUSH/PULL, PAIR and a native proxy on a Rust ZMTP engine.
// Loading it loads the native addon (./zeromq-napi.node, built by `npm install` / `npm run build`).

const { Request } = require('./lib/request.js');
const { Reply } = require('./lib/reply.js');
const { Dealer } = require('./lib/dealer.js');
const { Router } = require('./lib/router.js');
const { Publisher, Subscriber, XPublisher, XSubscriber } = require('./lib/pubsub.js');
const { Push, Pull } = require('./lib/pipeline.js');
const { Pair } = require('./lib/pair.js');
const { Proxy } = require('./lib/proxy.js');
const { isZmqError } = require('./lib/is-zmq-error.js');
const { curveKeyPair } = require('./lib/security.js');
const { capability, version } = require('./lib/capability.js');
const { Context, context } = require('./lib/context.js');
const { PublicSocket: Socket, PublicObserver: Observer } = require('./lib/socket.js');

module.exports = {
  Request,
  Reply,
  Dealer,
  Router,
  Publisher,
  Subscriber,
  XPublisher,
  XSubscriber,
  Push,
  Pull,
  Pair,
  Proxy,
  isZmqError,
  curveKeyPair,
  capability,
  version,
  Context,
  context,
  Socket,
  Observer,
};
