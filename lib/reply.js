'use strict';
// Reply (REP): the shared socket plus serve().
//
// serve() takes requests with the engine's recvRequest/reply pair, which sits outside the strict
// receive/send alternation: up to `concurrency` handlers run at once, each reply goes to the
// client that asked whatever the completion order, and a request whose handler fails is simply
// not answered (the socket stays usable; the client's timeout/retries deal with it).

const native = require('./native.js');
const { Socket, defineOptionProperties, kNative, kClosed, kOnClose } = require('./socket.js');
const { checkMessage, plainMessage, signalOf, checkKeys } = require('./message.js');
const { closedError, typeError, describe } = require('./errors.js');

const SERVE_KEYS = ['concurrency', 'signal', 'onError', 'drainTimeout'];
const DEFAULT_DRAIN_TIMEOUT = 5000;

/**
 * Reports a handler failure: to `onError` when given, else as a process warning.
 * @param {unknown} error
 * @param {Buffer[]} request
 * @param {((error: unknown, request: Buffer[]) => void) | undefined} onError
 */
function report(error, request, onError) {
  if (onError !== undefined) {
    try {
      onError(error, request);
      return;
    } catch (thrown) {
      error = thrown;
    }
  }
  const reason = error instanceof Error ? error.message : String(error);
  const warning = /** @type {Error & { code: string }} */ (
    new Error(`serve() handler failed, the request was not answered: ${reason}`, { cause: error })
  );
  warning.name = 'ZmqServeWarning';
  warning.code = 'ZMQ_SERVE_HANDLER_ERROR';
  process.emitWarning(warning);
}

/**
 * @param {unknown} opts
 */
function serveOptions(opts) {
  checkKeys(opts, 'serve()', SERVE_KEYS);
  const signal = signalOf(opts, 'serve()');
  const o = /** @type {{ concurrency?: unknown, onError?: unknown, drainTimeout?: unknown }} */ (opts ?? {});
  let concurrency = 1;
  if (o.concurrency !== undefined) {
    if (typeof o.concurrency !== 'number' || !Number.isInteger(o.concurrency)) {
      throw typeError(`serve() option "concurrency" must be an integer, got ${describe(o.concurrency)}`);
    }
    if (o.concurrency < 1 || o.concurrency > 0xffff) {
      throw typeError(`serve() option "concurrency" must be between 1 and 65535, got ${o.concurrency}`, 'ERR_OUT_OF_RANGE');
    }
    concurrency = o.concurrency;
  }
  if (o.onError !== undefined && typeof o.onError !== 'function') {
    throw typeError(`serve() option "onError" must be a function, got ${describe(o.onError)}`);
  }
  const onError = /** @type {((error: unknown, request: Buffer[]) => void) | undefined} */ (o.onError);
  let drainTimeout = DEFAULT_DRAIN_TIMEOUT;
  if (o.drainTimeout !== undefined) {
    if (typeof o.drainTimeout !== 'number' || !Number.isInteger(o.drainTimeout)) {
      throw typeError(`serve() option "drainTimeout" must be an integer number of ms, got ${describe(o.drainTimeout)}`);
    }
    if (o.drainTimeout < 0 || o.drainTimeout > 0x7fffffff) {
      throw typeError(`serve() option "drainTimeout" must be between 0 and ${0x7fffffff}, got ${o.drainTimeout}`, 'ERR_OUT_OF_RANGE');
    }
    drainTimeout = o.drainTimeout;
  }
  return { concurrency, signal, onError, drainTimeout };
}

/**
 * `done` resolves at the first `wake()` or after `drainTimeout` ms, whichever comes first: how
 * long a serve() loop waits, after its signal, for the handlers still running.
 * @param {number} drainTimeout
 * @returns {{ done: Promise<void>, wake: () => void }}
 */
function drainWaiter(drainTimeout) {
  /** @type {() => void} */
  let finish = () => {};
  const done = new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), drainTimeout);
    finish = () => {
      clearTimeout(timer);
      resolve(undefined);
    };
  });
  return { done: /** @type {Promise<void>} */ (done), wake: finish };
}

class Reply extends Socket {
  /** @param {unknown} [options] */
  constructor(options) {
    super('reply', options);
  }

  /** @type {Set<() => void>} stop callbacks of running serve() loops */
  #serving = new Set();

  [kOnClose]() {
    for (const stop of this.#serving) stop();
  }

  /**
   * @param {(request: Buffer[]) => unknown} handler
   * @param {{ concurrency?: number, signal?: AbortSignal, onError?: (error: unknown, request: Buffer[]) => void }} [opts]
   * @returns {Promise<void>}
   */
  async serve(handler, opts) {
    if (typeof handler !== 'function') throw typeError(`serve() handler must be a function, got ${describe(handler)}`);
    const { concurrency, signal, onError, drainTimeout } = serveOptions(opts);
    if (signal !== undefined && signal.aborted) return;
    if (this[kClosed]) throw closedError();

    let stopped = false;
    let inFlight = 0;
    /** @type {(() => void) | undefined} */
    let slotFree;
    /** @type {number | undefined} */
    let receiving;
    /** @type {{ done: Promise<void>, wake: () => void } | undefined} set once the signal has aborted and handlers still run */
    let draining;
    const onAbort = () => {
      stopped = true;
      // The pending receive is cancelled; a request it had already taken still gets handled.
      if (receiving !== undefined) native.abort(receiving, signal);
      if (slotFree !== undefined) slotFree();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // close(): the pending receive fails by itself (EAGAIN); a loop waiting for a free slot needs
    // waking.
    const onClose = () => {
      stopped = true;
      if (slotFree !== undefined) slotFree();
      draining?.wake();
    };
    this.#serving.add(onClose);

    /**
     * @param {number} token
     * @param {Buffer[]} request
     */
    const handle = async (token, request) => {
      let answer;
      try {
        answer = handler(request);
        if (answer !== null && typeof answer === 'object' && typeof (/** @type {{ then?: unknown }} */ (answer).then) === 'function') {
          answer = await answer;
        }
        checkMessage(answer, 'serve() handler result');
        answer = plainMessage(answer);
      } catch (err) {
        this[kNative].forget(token);
        report(err, request, onError);
        return;
      }
      try {
        const r = this[kNative].reply(token, answer);
        if (typeof r === 'number') await native.wait(r, undefined, this);
      } catch (err) {
        // After close() the reply has nowhere to go; that is not the handler's failure.
        if (!this[kClosed]) report(err, request, onError);
      }
    };
    const done = () => {
      inFlight--;
      if (inFlight === 0) draining?.wake();
      if (slotFree !== undefined) {
        const wake = slotFree;
        slotFree = undefined;
        wake();
      }
    };

    try {
      while (!stopped && !this[kClosed]) {
        if (inFlight >= concurrency) {
          await new Promise((resolve) => {
            slotFree = () => resolve(undefined);
          });
          slotFree = undefined;
          continue;
        }
        let taken;
        try {
          const r = this[kNative].recvRequest();
          if (typeof r === 'number') {
            receiving = r;
            taken = await native.wait(r, undefined, this);
          } else {
            taken = native.unpack(r);
          }
        } catch (err) {
          const code = /** @type {{ code?: unknown }} */ (err).code;
          if (this[kClosed] || stopped || code === 'ABORT_ERR' || code === 'EBADF') return;
          // A receiveTimeout on the socket just means "no request yet"; an EAGAIN from a socket
          // the native side closed (not through close(): a finalizer) means it is gone.
          if (code === 'EAGAIN' && !this[kNative].closed) continue;
          if (code === 'EAGAIN') return;
          throw err;
        } finally {
          receiving = undefined;
        }
        const [token, request] = /** @type {[number, Buffer[]]} */ (taken);
        inFlight++;
        handle(token, request).then(done, done);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // Graceful end (API.md): after the signal, the handlers already running finish and their
      // replies go out before serve() resolves; close() (onClose) still ends it at once.
      if (signal?.aborted && inFlight > 0 && !this[kClosed]) {
        draining = drainWaiter(drainTimeout);
        await draining.done;
      }
      this.#serving.delete(onClose);
    }
  }
}

defineOptionProperties(Reply.prototype, 'reply');

module.exports = { Reply, serveOptions, report, drainWaiter };
