'use strict';
// Publisher (PUB), Subscriber (SUB), XPublisher (XPUB), XSubscriber (XSUB): the engine keeps the
// subscriptions and matches them before a message reaches JavaScript (engine/src/types/
// publisher.rs, subscriber.rs). A Publisher never waits for a slow subscriber (that one misses
// messages), unless `noDrop`; XPublisher.receive() yields subscription messages
// ([0x01|0x00 + prefix]), XSubscriber.send() takes them.

const { types } = require('node:util');
const { Socket, defineOptionProperties, withoutMethods, kNative } = require('./socket.js');
const { typeError, describe } = require('./errors.js');

/**
 * @param {unknown[]} prefixes
 * @param {string} method
 * @returns {Buffer[]}
 */
function prefixBytes(prefixes, method) {
  // No prefix at all is the empty one: every message (as zeromq.js does).
  if (prefixes.length === 0) return [Buffer.alloc(0)];
  return prefixes.map((prefix) => {
    if (typeof prefix === 'string') return Buffer.from(prefix);
    if (types.isUint8Array(prefix)) return Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength);
    throw typeError(`${method}() prefixes must be strings or Buffers, got ${describe(prefix)}`);
  });
}

class Publisher extends Socket {
  /** @param {unknown} [options] */
  constructor(options) {
    super('publisher', options);
  }
}

class Subscriber extends Socket {
  /** @param {unknown} [options] */
  constructor(options) {
    super('subscriber', options);
  }

  /**
   * Receives messages whose first frame starts with one of `prefixes` (none = every message).
   * @param {...(string | Uint8Array)} prefixes
   */
  subscribe(...prefixes) {
    for (const prefix of prefixBytes(prefixes, 'subscribe')) this[kNative].subscribe(prefix, true);
  }

  /**
   * Undoes one `subscribe` of each of `prefixes` (none = the everything subscription).
   * @param {...(string | Uint8Array)} prefixes
   */
  unsubscribe(...prefixes) {
    for (const prefix of prefixBytes(prefixes, 'unsubscribe')) this[kNative].subscribe(prefix, false);
  }
}

class XPublisher extends Socket {
  /** @param {unknown} [options] */
  constructor(options) {
    super('xpublisher', options);
  }
}

class XSubscriber extends Socket {
  /** @param {unknown} [options] */
  constructor(options) {
    super('xsubscriber', options);
  }
}

defineOptionProperties(Publisher.prototype, 'publisher');
defineOptionProperties(Subscriber.prototype, 'subscriber');
defineOptionProperties(XPublisher.prototype, 'xpublisher');
defineOptionProperties(XSubscriber.prototype, 'xsubscriber');
withoutMethods(Publisher.prototype, { receive: false });
withoutMethods(Subscriber.prototype, { send: false });

module.exports = { Publisher, Subscriber, XPublisher, XSubscriber };
