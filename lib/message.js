'use strict';
// MessageLike validation, and readying binary frames for the native side. The native side converts
// the values themselves (src/message.rs); checkMessage only guarantees that it gets nothing else,
// with a TypeError the caller can act on, and pinMessage keeps the memory of frames sent without a
// copy where the engine reads it, as far as Node.js allows (see pinFrame).

const { types } = require('node:util');
const { markAsUntransferable } = require('node:worker_threads');
const { zeroCopyMin } = require('./native.js');
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
const arrayBufferResizable = getter(ArrayBuffer.prototype, 'resizable');

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
 * One frame, ready to be sent. Frames of `zeroCopyMin` bytes and more are sent from their own memory
 * (the engine may read it after send() returned, while the message waits in a queue), and the
 * native side's reference keeps the buffer alive but cannot stop it from being detached; once
 * detached, the memory is freed with its new owner. So:
 * - its ArrayBuffer is marked untransferable (as Node does for its Buffer pool): postMessage and
 *   structuredClone then copy it (Node 20) or throw DataCloneError (Node 21+) instead of moving it,
 *   and where Node's mark also sets V8's detach key, ArrayBuffer.prototype.transfer() and the web
 *   streams' byte transfers throw too (index.d.ts says what older versions leave open);
 * - a resizable ArrayBuffer can shrink under the engine, so such a frame is copied here (the copy
 *   is reachable from nothing but the message);
 * - SharedArrayBuffer memory cannot be detached or shrunk: sent as it is.
 * @param {ArrayBufferView | ArrayBuffer | string | null} frame  (checked by checkMessage)
 * @returns {ArrayBufferView | ArrayBuffer | string | null}
 */
function pinFrame(frame) {
  if (frame === null || typeof frame === 'string') return frame;
  let buffer;
  let offset = 0;
  let length;
  if (types.isArrayBuffer(frame)) {
    buffer = frame;
    length = arrayBufferByteLength(frame);
  } else if (types.isDataView(frame)) {
    buffer = dataViewBuffer(frame);
    offset = dataViewByteOffset(frame);
    length = dataViewByteLength(frame);
  } else {
    buffer = typedArrayBuffer(frame);
    offset = typedArrayByteOffset(frame);
    length = typedArrayByteLength(frame);
  }
  // Copied by the native side (a detached buffer has no bytes at all).
  if (length < zeroCopyMin) return frame;
  if (types.isSharedArrayBuffer(buffer)) return frame;
  if (arrayBufferResizable(buffer) === true) return new Uint8Array(new Uint8Array(buffer, offset, length));
  markAsUntransferable(buffer);
  return frame;
}

/**
 * Readies a message that passed checkMessage for the native side (see pinFrame). A multipart
 * message becomes a new plain array (the caller's is never modified): what the native side reads
 * is then exactly what was pinned, whatever getters the caller's array has.
 * @template T
 * @param {T} message
 * @returns {T}
 */
function pinMessage(message) {
  if (!Array.isArray(message)) return /** @type {T} */ (pinFrame(/** @type {any} */ (message)));
  const length = message.length;
  const out = new Array(length);
  for (let i = 0; i < length; i++) out[i] = pinFrame(message[i]);
  return /** @type {T} */ (/** @type {unknown} */ (out));
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

module.exports = { checkMessage, pinMessage, signalOf, checkKeys };
