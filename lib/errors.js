'use strict';
// Error values of the public API: every error has a string `.code` (see index.d.ts, "Errors").

/**
 * The public error table (API.md "Errors"), one row per code: libzmq's errno on this platform and
 * zeromq.js's text. It lives in the engine (`ErrorCode`), which makes the native errors from it
 * too; read once, on the first error made here.
 * @type {Map<string, { errno: number, message: string }> | undefined}
 */
let table;

/** @returns {Map<string, { errno: number, message: string }>} */
function errorTable() {
  if (table === undefined) {
    const binding = /** @type {{ errorTable: () => { code: string, errno: number, message: string }[] }} */ (
      require('./binding.js').load()
    );
    table = new Map(binding.errorTable().map((row) => [row.code, { errno: row.errno, message: row.message }]));
  }
  return table;
}

/**
 * An `Error` as zeromq.js makes it for `code` (its `.message`, `.code`, `.errno`), with what
 * happened in this case as `.detail` (Node prints it with the error) and `.address` for endpoint
 * errors.
 * @param {string} code
 * @param {string} detail
 * @param {string} [address]
 * @returns {Error & { code: string, errno: number, detail: string, address?: string }}
 */
function zmqError(code, detail, address) {
  const row = errorTable().get(code);
  const err = /** @type {Error & { code: string, errno: number, detail: string, address?: string }} */ (
    new Error(row?.message ?? detail)
  );
  err.code = code;
  err.errno = row?.errno ?? 0;
  err.detail = detail;
  if (address !== undefined) err.address = address;
  return err;
}

/**
 * A bind or unbind while another is pending on the socket: `EBUSY` with zeromq.js's own text for
 * this case (libzmq's "Socket is busy" is its text for every other `EBUSY`).
 */
function endpointBusyError() {
  const err = zmqError('EBUSY', 'a bind or unbind of this socket is still pending: await it first');
  err.message = 'Socket is blocked by a bind or unbind operation';
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

/** zeromq.js's `.message` for an option value of the wrong type, by the type it wanted. */
const OPTION_VALUE_TEXT = {
  number: 'Option value must be a number',
  boolean: 'Option value must be a boolean',
  text: 'Option value must be a string or buffer',
};

/**
 * `err` with what happened in this case as `.detail` (its `.message` stays zeromq.js's text).
 * @template {Error} E
 * @param {E} err
 * @param {string} detail
 * @returns {E & { detail: string }}
 */
function detailed(err, detail) {
  return Object.assign(err, { detail });
}

/**
 * An option value of the wrong type: zeromq.js's text as `.message`, what was wrong as `.detail`.
 * @param {keyof typeof OPTION_VALUE_TEXT} wanted
 * @param {string} detail
 */
function optionTypeError(wanted, detail) {
  return detailed(typeError(OPTION_VALUE_TEXT[wanted]), detail);
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

module.exports = {
  zmqError,
  errorTable,
  endpointBusyError,
  closedError,
  cancelledByClose,
  abortError,
  typeError,
  optionTypeError,
  detailed,
  describe,
};
