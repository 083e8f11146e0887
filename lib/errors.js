'use strict';
// Error values of the public API: every error has a string `.code` (see index.d.ts, "Errors").

/**
 * An `Error` with a libzmq-style `.code` (and `.address` for endpoint errors).
 * @param {string} code
 * @param {string} message
 * @param {string} [address]
 * @returns {Error & { code: string, address?: string }}
 */
function zmqError(code, message, address) {
  const err = /** @type {Error & { code: string, address?: string }} */ (new Error(`${code}: ${message}`));
  err.code = code;
  if (address !== undefined) err.address = address;
  return err;
}

/** The socket is closed. */
function closedError() {
  return zmqError('EBADF', 'the socket is closed');
}

/** A pending operation was cancelled by close(). */
function cancelledByClose() {
  return zmqError('EAGAIN', 'the socket was closed while the operation was pending');
}

/**
 * Same shape as Node's own AbortError (fs, timers/promises): name `AbortError`, code `ABORT_ERR`,
 * the signal's reason as `cause`.
 * @param {AbortSignal | undefined} signal
 */
function abortError(signal) {
  const options = signal !== undefined && signal.reason !== undefined ? { cause: signal.reason } : undefined;
  const err = /** @type {Error & { code: string }} */ (new Error('The operation was aborted', options));
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}

/**
 * Argument errors are `TypeError`s (out-of-range values too, so callers test for one class), with
 * Node's usual codes: ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE (unknown option), ERR_OUT_OF_RANGE.
 * @param {string} message
 * @param {string} [code]
 */
function typeError(message, code = 'ERR_INVALID_ARG_TYPE') {
  const err = /** @type {TypeError & { code: string }} */ (new TypeError(message));
  err.code = code;
  return err;
}

/** @param {unknown} value */
function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' || typeof value === 'function') {
    const name = /** @type {{ constructor?: { name?: string } }} */ (value).constructor?.name;
    return name ? `an instance of ${name}` : `type ${typeof value}`;
  }
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)})`;
  return `type ${typeof value} (${String(value)})`;
}

module.exports = { zmqError, closedError, cancelledByClose, abortError, typeError, describe };
