'use strict';
// Dealer (DEALER): the shared socket, sending and receiving in any order. The engine sends
// round-robin and receives fair-queued; concurrent sends go out in call order (engine/src/types/
// dealer.rs), a second concurrent receive rejects EBUSY.

const { Socket, defineOptionProperties } = require('./socket.js');

class Dealer extends Socket {
  /** @param {unknown} [options] */
  constructor(options) {
    super('dealer', options);
  }
}

defineOptionProperties(Dealer.prototype, 'dealer');

module.exports = { Dealer };
