'use strict';
// MessageLike validation. The native side converts the values themselves (src/message.rs); this
// only guarantees that it gets nothing else, with a TypeError the caller can act on.

const { types } = require('node:util');
const { typeError, describe } = require('./errors.js');

/**
 * @param {unknown} frame
 * @returns {boolean}
 */
function isFrame(frame) {
  return frame === null || typeof frame === 'string' || ArrayBuffer.isView(frame) || types.isArrayBuffer(frame);
}

/**
 * Throws a TypeError unless `message` is a MessageLike or a non-empty array of them.
 * @param {unknown} message
 * @param {string} [what]
 */
function checkMessage(message, what = 'message') {
  if (isFrame(message)) return;
  if (Array.isArray(message)) {
    if (message.length === 0) throw typeError(`${what} must have at least one frame, got an empty array`, 'ERR_INVALID_ARG_VALUE');
    for (let i = 0; i < message.length; i++) {
      if (!isFrame(message[i])) {
        throw typeError(
          `${what} frame ${i} must be a string, Buffer, TypedArray, DataView, ArrayBuffer or null, got ${describe(message[i])}`,
        );
      }
    }
    return;
  }
  throw typeError(
    `${what} must be a string, Buffer, TypedArray, DataView, ArrayBuffer, null or a non-empty array of them, got ${describe(message)}`,
  );
}

/**
 * Reads `{ signal }` from an options argument.
 * @param {unknown} opts
 * @param {string} method
 * @returns {AbortSignal | undefined}
 */
function signalOf(opts, method) {
  if (opts === undefined || opts === null) return undefined;
  if (typeof opts !== 'object') throw typeError(`${method} options must be an object, got ${describe(opts)}`);
  const signal = /** @type {{ signal?: unknown }} */ (opts).signal;
  if (signal === undefined) return undefined;
  // Duck-typed so AbortSignals from other realms and polyfills work too.
  const s = /** @type {{ aborted?: unknown, addEventListener?: unknown }} */ (signal);
  if (s === null || typeof s !== 'object' || typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function') throw typeError(`${method} option "signal" must be an AbortSignal, got ${describe(signal)}`);
  return /** @type {AbortSignal} */ (signal);
}

/**
 * Throws a TypeError for option names a method does not know.
 * @param {unknown} opts
 * @param {string} method
 * @param {readonly string[]} known
 */
function checkKeys(opts, method, known) {
  if (opts === undefined || opts === null) return;
  for (const key of Object.keys(/** @type {object} */ (opts))) {
    if (!known.includes(key)) throw typeError(`unknown ${method} option "${key}"`, 'ERR_INVALID_ARG_VALUE');
  }
}

module.exports = { checkMessage, signalOf, checkKeys };
