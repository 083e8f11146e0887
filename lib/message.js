'use strict';
// MessageLike validation, and readying messages for the native side. The native side converts
// the values themselves (src/message.rs) and takes their bytes during the call; checkMessage only
// guarantees that it gets nothing else, with a TypeError the caller can act on.

const { types } = require('node:util');
const { typeError, describe } = require('./errors.js');

/**
 * `get` as a function of its receiver. The intrinsic getters are captured when the package loads:
 * a frame's own `buffer`/`byteLength` properties (or a prototype patched later) cannot hide its
 * real memory.
 * @param {object} proto
 * @param {string} name
 * @returns {(self: unknown) => any}
 */
function getter(proto, name) {
  const get = Object.getOwnPropertyDescriptor(proto, name)?.get;
  if (get === undefined) return () => undefined;
  return /** @type {(self: unknown) => any} */ (Function.prototype.call.bind(get));
}

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
const typedArrayByteOffset = getter(TypedArrayPrototype, 'byteOffset');
const typedArrayByteLength = getter(TypedArrayPrototype, 'byteLength');
const dataViewBuffer = getter(DataView.prototype, 'buffer');
const dataViewByteOffset = getter(DataView.prototype, 'byteOffset');
const dataViewByteLength = getter(DataView.prototype, 'byteLength');
const arrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength');

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
 * A copy of one frame's bytes (strings and null are immutable: as they are).
 * @param {ArrayBufferView | ArrayBuffer | string | null} frame  (checked by checkMessage)
 * @returns {ArrayBufferView | ArrayBuffer | string | null}
 */
function copyFrame(frame) {
  if (frame === null || typeof frame === 'string') return frame;
  if (types.isArrayBuffer(frame)) return new Uint8Array(new Uint8Array(frame, 0, arrayBufferByteLength(frame)));
  if (types.isDataView(frame)) {
    return new Uint8Array(new Uint8Array(dataViewBuffer(frame), dataViewByteOffset(frame), dataViewByteLength(frame)));
  }
  return new Uint8Array(new Uint8Array(typedArrayBuffer(frame), typedArrayByteOffset(frame), typedArrayByteLength(frame)));
}

/**
 * One binary frame's bytes as a Uint8Array over its memory (no copy), read through the intrinsic
 * getters (see `getter`).
 * @param {ArrayBufferView | ArrayBuffer} frame  (checked by checkMessage)
 * @returns {Uint8Array}
 */
function frameView(frame) {
  if (types.isUint8Array(frame)) return /** @type {Uint8Array} */ (frame);
  if (types.isArrayBuffer(frame)) return new Uint8Array(frame, 0, arrayBufferByteLength(frame));
  if (types.isDataView(frame)) return new Uint8Array(dataViewBuffer(frame), dataViewByteOffset(frame), dataViewByteLength(frame));
  return new Uint8Array(typedArrayBuffer(frame), typedArrayByteOffset(frame), typedArrayByteLength(frame));
}

/**
 * A message that passed checkMessage, as the native side gets it: a multipart message becomes a
 * new plain array (the caller's is never modified), so what the native side reads is exactly what
 * was checked, whatever getters the caller's array has. The frames themselves are read by the
 * native call (src/message.rs), which takes their bytes before it returns (API.md, Messages).
 * @template T
 * @param {T} message
 * @returns {T}
 */
function plainMessage(message) {
  if (!Array.isArray(message)) return message;
  const length = message.length;
  const out = new Array(length);
  for (let i = 0; i < length; i++) out[i] = message[i];
  return /** @type {T} */ (/** @type {unknown} */ (out));
}

/**
 * The bytes of a message taken now, for one whose native call comes later (a request queued behind
 * another): every binary frame copied, so what the caller does with its buffers meanwhile does not
 * change what is sent.
 * @template T
 * @param {T} message  (from plainMessage)
 * @returns {T}
 */
function copyMessage(message) {
  if (!Array.isArray(message)) return /** @type {T} */ (copyFrame(/** @type {any} */ (message)));
  return /** @type {T} */ (/** @type {unknown} */ (message.map(copyFrame)));
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

/**
 * A view's byte length through the intrinsic getter (an own `byteLength` cannot change it).
 * @param {Uint8Array} view
 * @returns {number}
 */
function viewByteLength(view) {
  return typedArrayByteLength(view);
}

module.exports = { checkMessage, plainMessage, copyMessage, frameView, viewByteLength, signalOf, checkKeys };
