'use strict';
// Push (PUSH) and Pull (PULL), the pipeline pattern: Push sends round-robin to its Pull peers and
// waits at the high-water mark (it never drops); Pull receives fair-queued from its Push peers.

const { Socket, defineOptionProperties, withoutMethods } = require('./socket.js');

class Push extends Socket {
  /** @param {unknown} [options] */
  constructor(options) {
    super('push', options);
  }
}

class Pull extends Socket {
  /** @param {unknown} [options] */
  constructor(options) {
    super('pull', options);
  }
}

defineOptionProperties(Push.prototype, 'push');
defineOptionProperties(Pull.prototype, 'pull');
withoutMethods(Push.prototype, { receive: false });
withoutMethods(Pull.prototype, { send: false });

module.exports = { Push, Pull };
