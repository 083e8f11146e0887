'use strict';
// Proxy: joins two sockets inside the engine (src/socket.rs `proxy`, engine `start_proxy`): no
// JavaScript runs per message. Router/Dealer (a broker), XSubscriber/XPublisher (a pub-sub
// forwarder: messages one way, subscriptions the other), Pull/Push (a pipeline stage). run()
// resolves when terminate() is called, the signal aborts, or either socket is closed.

const native = require('./native.js');
const { Dealer } = require('./dealer.js');
const { Router } = require('./router.js');
const { XPublisher, XSubscriber } = require('./pubsub.js');
const { Push, Pull } = require('./pipeline.js');
const { kNative, takeUnread } = require('./socket.js');
const { signalOf, checkKeys } = require('./message.js');
const { typeError, describe, closedError } = require('./errors.js');
const { requireNew } = require('./construct.js');

const RUN_KEYS = ['signal'];

/** @typedef {Dealer | Router | XPublisher | XSubscriber | Push | Pull} ProxySocket */

/** The pairings a proxy joins: both sockets' classes in one of these sets. */
const PAIRINGS = [
  [Dealer, Router],
  [XSubscriber, XPublisher],
  [Pull, Push],
];

/**
 * @param {unknown} socket
 * @param {string} which
 * @returns {ProxySocket}
 */
function checkSocket(socket, which) {
  if (PAIRINGS.some((classes) => classes.some((c) => socket instanceof c))) {
    return /** @type {ProxySocket} */ (socket);
  }
  // zeromq.js's texts: no object at all, or an object that is not a socket of this package.
  const text =
    typeof socket === 'object' && socket !== null
      ? 'Invalid argument'
      : `${which === 'frontend' ? 'Front-end' : 'Back-end'} must be a socket object`;
  const err = /** @type {TypeError & { code: string, detail: string }} */ (typeError(text));
  err.detail = `Proxy ${which} must be a Router, Dealer, XSubscriber, XPublisher, Pull or Push of zeromq-napi, got ${describe(socket)}`;
  throw err;
}

/**
 * @param {ProxySocket} frontend
 * @param {ProxySocket} backend
 */
function checkPairing(frontend, backend) {
  const fits = PAIRINGS.some((classes) => [frontend, backend].every((s) => classes.some((c) => s instanceof c)));
  if (!fits) {
    throw typeError(
      `a Proxy joins Router/Dealer, XSubscriber/XPublisher or Pull/Push, got ${frontend.constructor.name} and ${backend.constructor.name}`,
    );
  }
}

/** @param {unknown} err */
function isAbort(err) {
  return /** @type {{ code?: unknown }} */ (err)?.code === 'ABORT_ERR';
}

class Proxy {
  /** @type {ProxySocket} */
  #frontend;
  /** @type {ProxySocket} */
  #backend;
  /** @type {number | undefined} the pending native operation while run() forwards */
  #running;

  /**
   * @param {unknown} frontend
   * @param {unknown} backend
   * @param {unknown[]} rest  none (as zeromq.js: more arguments throw)
   */
  constructor(frontend, backend, ...rest) {
    if (rest.length > 0) {
      const err = /** @type {TypeError & { code: string, detail: string }} */ (typeError('Expected 2 arguments'));
      err.detail = `new Proxy(frontend, backend) takes 2 sockets, got ${2 + rest.length} arguments`;
      throw err;
    }
    this.#frontend = checkSocket(frontend, 'frontend');
    this.#backend = checkSocket(backend, 'backend');
    checkPairing(this.#frontend, this.#backend);
  }

  /** @returns {ProxySocket} */
  get frontend() {
    return this.#frontend;
  }

  /** @returns {ProxySocket} */
  get backend() {
    return this.#backend;
  }

  /** zeromq.js's name of {@link frontend}. */
  get frontEnd() {
    return this.#frontend;
  }

  /** zeromq.js's name of {@link backend}. */
  get backEnd() {
    return this.#backend;
  }

  /**
   * Forwards both ways until terminate(), the signal, or a socket's close(); then resolves.
   * Rejects EBUSY if a proxy already runs on either socket (or a receive is pending on one),
   * EBADF if one is closed.
   * @param {{ signal?: AbortSignal }} [opts]
   * @returns {Promise<void>}
   */
  async run(opts) {
    checkKeys(opts, 'run()', RUN_KEYS);
    const signal = signalOf(opts, 'run()');
    if (signal !== undefined && signal.aborted) return;
    // Messages a receive took in a batch and the user has not read yet are forwarded first, as
    // they would be from the engine's queue (with none, nothing is awaited: the sockets are
    // taken in this call, as ever).
    const fromFront = takeUnread(this.#frontend);
    const fromBack = takeUnread(this.#backend);
    for (const message of fromFront) await /** @type {any} */ (this.#backend).send(message);
    for (const message of fromBack) await /** @type {any} */ (this.#frontend).send(message);
    const r = this.#frontend[kNative].proxy(this.#backend[kNative]);
    if (typeof r !== 'number') return;
    const id = r;
    this.#running = id;
    const onAbort = () => {
      native.abort(id, signal);
    };
    // The wait is registered before the listener: a signal that calls it from inside
    // addEventListener, or throws from it, leaves no proxy running without an owner.
    const stopped = native.wait(id, undefined, this);
    try {
      signal?.addEventListener('abort', onAbort, { once: true });
    } catch (err) {
      native.abort(id, undefined);
      await stopped.catch(() => undefined);
      if (this.#running === id) this.#running = undefined;
      throw err;
    }
    try {
      await stopped;
    } catch (err) {
      // Stopped by terminate() or the signal: that is how run() is meant to end.
      if (!isAbort(err)) throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (this.#running === id) this.#running = undefined;
    }
  }

  /**
   * Stops forwarding until resume(): messages wait in the sockets' queues. Throws EBADF when the
   * proxy is not running (as zeromq.js does).
   */
  pause() {
    this.#steer(true);
  }

  /** Forwards again after pause(). Throws EBADF when the proxy is not running. */
  resume() {
    this.#steer(false);
  }

  /** @param {boolean} paused */
  #steer(paused) {
    if (this.#running === undefined) throw closedError();
    this.#frontend[kNative].pauseProxy(paused);
  }

  /** Stops a running proxy (its run() resolves); the sockets stay open and usable. Idempotent. */
  terminate() {
    const id = this.#running;
    if (id === undefined) return;
    this.#running = undefined;
    native.abort(id, undefined);
  }
}

// Called without `new`: zeromq.js's text (lib/construct.js).
module.exports = { Proxy: requireNew(Proxy) };
