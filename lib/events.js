'use strict';
// `sock.events`: the socket's events (src/events.rs) as a Node EventEmitter. Created on the first
// read of `sock.events`; only then does the engine start building events at all. While it has
// listeners it keeps the process alive, as a zeromq.js observer does, until the socket closes.

const { EventEmitter } = require('node:events');

/**
 * @typedef {object} SocketEventPayload
 * @property {string} type the event's name, as zeromq.js's observer events have it
 * @property {string} address
 * @property {Error & { code: string }} [error]
 * @property {number} [interval]
 */

/**
 * @param {Pick<import('./native.js').NativeSocket, 'watchEvents' | 'keepEventsAlive'>} nativeSocket
 * @returns {EventEmitter}
 */
function watch(nativeSocket) {
  const emitter = new EventEmitter();
  nativeSocket.watchEvents((name, address, code, message, interval) => {
    /** @type {SocketEventPayload} */
    const event = { type: name, address };
    if (code != null) {
      const error = /** @type {Error & { code: string }} */ (new Error(message ?? code));
      error.code = code;
      event.error = error;
    }
    if (interval != null) event.interval = interval;
    try {
      emitter.emit(name, event);
    } catch (err) {
      // A throwing listener is the caller's bug, reported as Node reports one of any emitter: an
      // uncaught exception, raised from plain JS rather than from inside a native callback.
      process.nextTick(() => {
        throw err;
      });
    }
  });
  // Keep the process alive while anyone listens (until close(), which lets go of the events).
  let listening = 0;
  emitter.on('newListener', (name) => {
    if (name !== 'newListener' && name !== 'removeListener' && listening++ === 0) nativeSocket.keepEventsAlive(true);
  });
  emitter.on('removeListener', (name) => {
    if (name !== 'newListener' && name !== 'removeListener' && --listening === 0) nativeSocket.keepEventsAlive(false);
  });
  return emitter;
}

module.exports = { watch };
