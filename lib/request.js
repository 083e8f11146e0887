'use strict';
// Request (REQ): the shared socket plus request(), whose calls run one at a time in call order.
//
// This is the one request queue: the native side gets one request at a time (so the engine's
// own queue for concurrent `ReqSocket::request` callers never waits). It has to be here because
// the native fast path for a request with no timeout and no retries (a synchronous send, then a
// reply wait; src/socket.rs) does not go through the engine's queue, and would answer a second
// concurrent call with EBUSY rather than queue it. Queued here, a request that has not started yet
// also costs no native call to abort or to reject at close().

const native = require('./native.js');
const { Socket, defineOptionProperties, kNative, kClosed, kOnClose } = require('./socket.js');
const { checkMessage, plainMessage, copyMessage, signalOf, checkKeys } = require('./message.js');
const { closedError, cancelledByClose, abortError, typeError, describe } = require('./errors.js');

const REQUEST_KEYS = ['timeout', 'retries', 'signal'];
const MAX_U32 = 0xffffffff;

/**
 * @typedef {object} Job
 * @property {unknown} message
 * @property {number | undefined} timeout
 * @property {number} retries
 * @property {AbortSignal | undefined} signal
 * @property {(() => void) | undefined} onAbort
 * @property {number | undefined} id        native op id once started
 * @property {boolean} done
 * @property {(value: Buffer[]) => void} resolve
 * @property {(reason: unknown) => void} reject
 */

/**
 * @param {unknown} opts
 * @returns {{ timeout: number | undefined, retries: number, signal: AbortSignal | undefined }}
 */
function requestOptions(opts) {
  checkKeys(opts, 'request()', REQUEST_KEYS);
  const signal = signalOf(opts, 'request()');
  const o = /** @type {{ timeout?: unknown, retries?: unknown }} */ (opts ?? {});
  let timeout;
  if (o.timeout !== undefined) {
    if (typeof o.timeout !== 'number' || !Number.isInteger(o.timeout)) {
      throw typeError(`request() option "timeout" must be an integer number of ms, got ${describe(o.timeout)}`);
    }
    if (o.timeout < -1 || o.timeout > Number.MAX_SAFE_INTEGER) {
      throw typeError(`request() option "timeout" must be -1 (no limit) or >= 0, got ${o.timeout}`, 'ERR_OUT_OF_RANGE');
    }
    timeout = o.timeout;
  }
  let retries = 0;
  if (o.retries !== undefined) {
    if (typeof o.retries !== 'number' || !Number.isInteger(o.retries)) {
      throw typeError(`request() option "retries" must be an integer, got ${describe(o.retries)}`);
    }
    if (o.retries < 0 || o.retries > MAX_U32) {
      throw typeError(`request() option "retries" must be between 0 and ${MAX_U32}, got ${o.retries}`, 'ERR_OUT_OF_RANGE');
    }
    retries = o.retries;
  }
  return { timeout, retries, signal };
}

class Request extends Socket {
  /** @param {unknown} [options] */
  constructor(options) {
    super('request', options);
  }

  /** @type {Job[]} requests not started yet, in call order */
  #queue = [];
  /** @type {Job | undefined} the request the native side is running */
  #active = undefined;

  /**
   * @param {unknown} message
   * @param {{ timeout?: number, retries?: number, signal?: AbortSignal }} [opts]
   * @returns {Promise<Buffer[]>}
   */
  request(message, opts) {
    let parsed;
    try {
      parsed = requestOptions(opts);
      checkMessage(message);
      if (parsed.signal !== undefined && parsed.signal.aborted) return Promise.reject(abortError(parsed.signal));
      if (this[kClosed]) return Promise.reject(closedError());
      message = plainMessage(message);
    } catch (err) {
      return Promise.reject(err);
    }
    const { timeout, retries, signal } = parsed;
    return new Promise((resolve, reject) => {
      /** @type {Job} */
      const job = { message, timeout, retries, signal, onAbort: undefined, id: undefined, done: false, resolve, reject };
      if (signal !== undefined) {
        job.onAbort = () => {
          if (job.done) return;
          // Started: cancel the native request (the engine abandons it and resets the socket);
          // its settlement then rejects. Still queued: drop it now.
          if (job.id !== undefined) native.abort(job.id, signal);
          else if (this.#active !== job) this.#finish(job, abortError(signal), undefined);
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.#queue.push(job);
      this.#pump();
      // Still queued behind another request: its native call (which takes the bytes) comes later,
      // but the bytes are taken now (API.md, Messages).
      if (!job.done && this.#active !== job) job.message = copyMessage(job.message);
    });
  }

  /**
   * @param {Job} job
   * @param {unknown} error
   * @param {Buffer[] | undefined} value
   */
  #finish(job, error, value) {
    if (job.done) return;
    job.done = true;
    if (job.onAbort !== undefined && job.signal !== undefined) job.signal.removeEventListener('abort', job.onAbort);
    if (this.#active === job) this.#active = undefined;
    if (error === undefined) {
      job.resolve(/** @type {Buffer[]} */ (value));
    } else {
      const code = /** @type {{ code?: unknown }} */ (error).code;
      job.reject(code === 'ABORT_ERR' ? abortError(job.signal) : error);
    }
    this.#pump();
  }

  #pumping = false;

  #pump() {
    // Settlements inside the loop call back in here: the running loop picks their successors up.
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      this.#drain();
    } finally {
      this.#pumping = false;
    }
  }

  #drain() {
    while (this.#active === undefined && this.#queue.length > 0) {
      const job = /** @type {Job} */ (this.#queue.shift());
      if (job.done) continue;
      if (this[kClosed]) {
        // Queued before close(): a pending operation cancelled by it.
        this.#finish(job, cancelledByClose(), undefined);
        continue;
      }
      this.#active = job;
      let r;
      try {
        r = this[kNative].request(job.message, job.timeout, job.retries);
      } catch (err) {
        this.#finish(job, err, undefined);
        continue;
      }
      if (typeof r === 'number') {
        job.id = r;
        native.settleWith(
          r,
          (value) => this.#finish(job, undefined, value),
          (err) => this.#finish(job, err, undefined),
          this,
        );
      } else {
        this.#finish(job, undefined, native.unpack(r));
      }
    }
  }

  [kOnClose]() {
    // The active request is failed by the engine (EAGAIN); the queued ones are rejected when it
    // settles (by #drain), so that all of them reject together rather than some at once and the
    // rest a tick later (a caller awaiting them one by one would see "unhandled rejections").
    if (this.#active === undefined) this.#pump();
  }
}

defineOptionProperties(Request.prototype, 'request');

module.exports = { Request };
