'use strict';
// Pair (PAIR): exactly one peer at a time, both directions; a second connection is refused while
// the first is live (engine/src/socket/core.rs `add_peer`).

const { Socket, defineOptionProperties } = require('./socket.js');

class Pair extends Socket {
  /** @param {unknown} [options] */
  constructor(options) {
    super('pair', options);
  }
}

defineOptionProperties(Pair.prototype, 'pair');

module.exports = { Pair };
