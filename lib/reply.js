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

const SERVE_KEYS = ['concurrency', 'signal', 'onError'];

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
  const o = /** @type {{ concurrency?: unknown, onError?: unknown }} */ (opts ?? {});
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
  return { concurrency, signal, onError };
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
    const { concurrency, signal, onError } = serveOptions(opts);
    if (signal !== undefined && signal.aborted) return;
    if (this[kClosed]) throw closedError();

    let stopped = false;
    let inFlight = 0;
    /** @type {(() => void) | undefined} */
    let slotFree;
    /** @type {number | undefined} */
    let receiving;
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
      this.#serving.delete(onClose);
    }
  }
}

defineOptionProperties(Reply.prototype, 'reply');

module.exports = { Reply };
