'use strict';
// Request (REQ): the shared socket plus request(), whose calls run one at a time in call order.
//
// The queue is the engine's (ReqSocket::request, engine/src/types/req.rs): each call is one native
// call that sends on the spot when nothing is ahead of it, or takes the bytes now (API.md,
// Messages) and waits its turn. Here is only the promise: a queued request is a pending native
// operation like any other, so aborting it cancels that operation (which leaves the queue), and
// close() fails it and every one behind it with EAGAIN.

const native = require('./native.js');
const { Socket, defineOptionProperties, kNative, kClosed } = require('./socket.js');
const { checkMessage, plainMessage, signalOf, checkKeys } = require('./message.js');
const { closedError, abortError, typeError, describe } = require('./errors.js');

const REQUEST_KEYS = ['timeout', 'retries', 'signal'];
const MAX_U32 = 0xffffffff;

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

  /**
   * @param {unknown} message
   * @param {{ timeout?: number, retries?: number, signal?: AbortSignal }} [opts]
   * @returns {Promise<Buffer[]>}
   */
  request(message, opts) {
    try {
      const { timeout, retries, signal } = requestOptions(opts);
      checkMessage(message);
      if (signal !== undefined && signal.aborted) return Promise.reject(abortError(signal));
      if (this[kClosed]) return Promise.reject(closedError());
      const r = this[kNative].request(plainMessage(message), timeout, retries);
      if (typeof r === 'number') return native.wait(r, signal, this);
      return Promise.resolve(native.unpack(r));
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

defineOptionProperties(Request.prototype, 'request');

module.exports = { Request };
