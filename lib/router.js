'use strict';
// Router (ROUTER): the shared socket; a received message starts with the sender's routing id and
// a sent one with the routing id of the peer it goes to. Option `mandatory` turns a send to an
// unknown peer from a silent drop into an EHOSTUNREACH rejection.

const { Socket, defineOptionProperties } = require('./socket.js');

class Router extends Socket {
  /** @param {unknown} [options] */
  constructor(options) {
    super('router', options);
  }
}

defineOptionProperties(Router.prototype, 'router');

module.exports = { Router };
