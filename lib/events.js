'use strict';
// `sock.events`: the socket's events (src/events.rs) as a Node EventEmitter that is also
// zeromq.js's Observer (`receive()`, `for await`). Created on the first read of `sock.events`;
// only then does the engine start building events at all. While it has listeners it keeps the
// process alive, as a zeromq.js observer does, until the socket closes.

const { EventEmitter } = require('node:events');
const { constants } = require('node:os');
const { zmqError } = require('./errors.js');

/**
 * @typedef {object} SocketEventPayload
 * @property {string} type the event's name, as zeromq.js's observer events have it
 * @property {string} [address]  every event but `end`
 * @property {Error & { code: string }} [error]
 * @property {number} [interval]
 */

// As a libzmq monitor socket holds them (its high-water mark): events nobody has taken yet
// beyond this many are dropped, oldest first, so an observer nobody reads stays small.
const QUEUE_LIMIT = 1000;

const EMITTER_MODE =
  'Observer is in event emitter mode. After a call to events.on() it is not possible to read events with events.receive().';

/** @type {Record<string, number>} */
const errnos = /** @type {Record<string, number>} */ (/** @type {unknown} */ (constants.errno));

/**
 * zeromq.js's texts for a failed handshake (libzmq's monitor gives no more); ours go to `.detail`.
 * @type {Record<string, string>}
 */
const HANDSHAKE_TEXTS = {
  'handshake:error:protocol': 'ZMTP protocol error',
  'handshake:error:auth': 'Authentication failure',
};

/**
 * An event's error as zeromq.js makes it: a code of the public table gets its row (as call
 * errors do), a failed handshake zeromq.js's text; an OS code (`ECONNREFUSED`, `EPROTO`...)
 * the OS's errno.
 * @param {string} name  the event
 * @param {string} code
 * @param {string} detail
 * @returns {Error & { code: string, errno: number, detail: string }}
 */
function eventError(name, code, detail) {
  const err = zmqError(code, detail);
  const text = HANDSHAKE_TEXTS[name];
  // An OS code outside the table keeps the OS's text (`Connection refused (os error 111)`).
  if (text !== undefined) err.message = text;
  if (err.errno === 0) err.errno = errnos[code] ?? 0;
  return err;
}

/**
 * A pending `receive()`.
 * @typedef {object} Waiter
 * @property {(event: SocketEventPayload) => void} resolve
 * @property {(err: Error) => void} reject
 */

class SocketEvents extends EventEmitter {
  /** @type {SocketEventPayload[]} */
  #queue = [];
  /** @type {Waiter | undefined} */
  #waiter = undefined;
  #ended = false;
  /** Set by the first listener: from then on events go to listeners only (zeromq.js's rule). */
  #emitterMode = false;
  /** @type {(on: boolean) => void} */
  #keepAlive;

  /** @param {(on: boolean) => void} keepAlive  whether pending events keep the process alive */
  constructor(keepAlive) {
    super();
    this.#keepAlive = keepAlive;
  }

  /** Whether the socket's last event (`end`) has been taken: nothing more will come. */
  get closed() {
    return this.#ended && this.#queue.length === 0;
  }

  /**
   * The next event (zeromq.js's Observer): queued ones first. After `end` it rejects `EBADF`.
   * @returns {Promise<SocketEventPayload>}
   */
  receive() {
    if (this.#emitterMode) throw new Error(EMITTER_MODE);
    const next = this.#queue.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.#ended) return Promise.reject(zmqError('EBADF', 'the socket is closed: its events have ended'));
    if (this.#waiter !== undefined) {
      return Promise.reject(
        zmqError('EBUSY', 'Observer is busy reading; only one receive operation may be in progress at any time'),
      );
    }
    // A pending receive keeps the process alive, as a listener does.
    this.#keepAlive(true);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /**
   * Yields every event up to and including `end`, then ends.
   * @returns {AsyncGenerator<SocketEventPayload, void, undefined>}
   */
  async *[Symbol.asyncIterator]() {
    while (!this.closed) {
      yield await this.receive();
    }
  }

  /**
   * From the engine: to the listeners, or to `receive()`.
   * @param {SocketEventPayload} event
   */
  deliver(event) {
    if (event.type === 'end') this.#ended = true;
    if (!this.#emitterMode) {
      const waiter = this.#waiter;
      if (waiter !== undefined) {
        this.#waiter = undefined;
        this.#keepAlive(false);
        waiter.resolve(event);
      } else {
        if (this.#queue.length >= QUEUE_LIMIT) this.#queue.shift();
        this.#queue.push(event);
      }
      return;
    }
    try {
      this.emit(event.type, event);
    } catch (err) {
      // A throwing listener is the caller's bug, reported as Node reports one of any emitter: an
      // uncaught exception, raised from plain JS rather than from inside a native callback.
      process.nextTick(() => {
        throw err;
      });
    }
  }

  /**
   * The socket is closing: the events still on their way, `end` last, are delivered before the
   * process may exit (the native side lets go of them after `end`).
   */
  closing() {
    this.#keepAlive(true);
  }

  /** A listener was added: events go to listeners from now on. */
  enterEmitterMode() {
    this.#emitterMode = true;
    this.#queue.length = 0;
  }
}

/**
 * @param {Pick<import('./native.js').NativeSocket, 'watchEvents' | 'keepEventsAlive'>} nativeSocket
 * @param {boolean} closed  the socket is closed already: only `end` will come
 * @returns {SocketEvents}
 */
function watch(nativeSocket, closed) {
  const emitter = new SocketEvents((on) => nativeSocket.keepEventsAlive(on));
  if (closed) {
    emitter.deliver({ type: 'end' });
    return emitter;
  }
  nativeSocket.watchEvents((name, address, code, message, interval) => {
    /** @type {SocketEventPayload} */
    const event = name === 'end' ? { type: name } : { type: name, address };
    if (code != null) event.error = eventError(name, code, message ?? code);
    if (interval != null) event.interval = interval;
    emitter.deliver(event);
  });
  // Keep the process alive while anyone listens (until close(), which lets go of the events).
  let listening = 0;
  emitter.on('newListener', (name) => {
    if (name === 'newListener' || name === 'removeListener') return;
    emitter.enterEmitterMode();
    if (listening++ === 0) nativeSocket.keepEventsAlive(true);
  });
  emitter.on('removeListener', (name) => {
    if (name !== 'newListener' && name !== 'removeListener' && --listening === 0) nativeSocket.keepEventsAlive(false);
  });
  return emitter;
}

module.exports = { watch, SocketEvents };
