'use strict';
// Socket options: validation and the native option object. Which options exist, on which socket
// types, with what ranges and defaults, comes from the option table (scripts/option-table.js,
// generated into ./option-table.js).
// Validation throws TypeError for unknown names, wrong types and out-of-range values alike.

const { types } = require('node:util');
const { typeError, optionTypeError, detailed, describe } = require('./errors.js');
const { closestName } = require('./closest-name.js');
const security = require('./security.js');
const table = require('./option-table.js');

/** @typedef {import('./option-table.js').Spec} Spec */
/** @typedef {import('./option-table.js').Kind} Kind */

/** The options the engine takes as bytes. */
const BYTE_OPTIONS = Object.keys(table.OPTIONS).filter((name) => ['routingId', 'bytes'].includes(table.OPTIONS[name].spec.kind));

/** Read-only socket properties (lib/socket.js): named as such when given as options. */
const READ_ONLY = ['securityMechanism', 'readable', 'writable', 'closed', 'lastEndpoint', 'events'];

/**
 * The options of each socket type, in the table's order.
 * @type {Readonly<Record<Kind, Readonly<Record<string, { spec: Spec }>>>>}
 */
const schemas = /** @type {Record<Kind, Record<string, { spec: Spec }>>} */ (
  Object.fromEntries(
    Object.keys(table.KINDS).map((kind) => [
      kind,
      Object.fromEntries(
        Object.entries(table.OPTIONS)
          .filter(([, option]) => option.kinds.includes(/** @type {Kind} */ (kind)))
          .map(([name, option]) => [name, { spec: option.spec }]),
      ),
    ]),
  )
);


/**
 * Each option's default as the JS layer shows it (null = none). The engine's defaults are generated
 * from the same table (__test__/option-table.test.ts compares them).
 * @type {Readonly<Record<string, unknown>>}
 */
const defaults = Object.freeze(Object.fromEntries(Object.entries(table.OPTIONS).map(([name, option]) => [name, option.default])));

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * @param {string} name
 * @param {Uint8Array} bytes
 */
function utf8(name, bytes) {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw typeError(`option "${name}" must be UTF-8 text, got bytes that are not`, 'ERR_INVALID_ARG_VALUE');
  }
}

/**
 * @param {string} name
 * @param {Spec} spec
 * @param {unknown} value
 * @returns {unknown} the value to store
 */
function check(name, spec, value) {
  switch (spec.kind) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw optionTypeError('number', `option "${name}" must be an integer number, got ${describe(value)}`);
      }
      if (value < spec.min || value > spec.max) {
        throw typeError(
          `option "${name}" must be between ${spec.min} and ${spec.max}, got ${value}`,
          'ERR_OUT_OF_RANGE',
        );
      }
      return value;
    case 'bool':
      if (typeof value !== 'boolean') {
        throw optionTypeError('boolean', `option "${name}" must be a boolean, got ${describe(value)}`);
      }
      return value;
    case 'routingId': {
      if (value === null) return null;
      let length;
      if (typeof value === 'string') length = Buffer.byteLength(value);
      else if (types.isUint8Array(value)) length = value.byteLength;
      else throw optionTypeError('text', `option "${name}" must be a string, a Uint8Array or null, got ${describe(value)}`);
      // libzmq's rule: 1..255 bytes (an empty identity would mean "none": use null for that).
      if (length < 1 || length > 255) {
        throw typeError(`option "${name}" must be 1 to 255 bytes long, got ${length}`, 'ERR_OUT_OF_RANGE');
      }
      return typeof value === 'string' ? value : Buffer.from(value);
    }
    case 'bytes':
      if (value === null || typeof value === 'string') return value;
      if (types.isUint8Array(value)) return Buffer.from(value);
      throw optionTypeError('text', `option "${name}" must be a string, a Uint8Array or null, got ${describe(value)}`);
    case 'key':
      return security.checkKey(name, value);
    case 'credential':
      if (value === null) return null;
      // Bytes as libzmq takes them, kept as their text (what the handshake and a read give back).
      if (types.isUint8Array(value)) value = utf8(name, value);
      if (typeof value !== 'string') {
        throw optionTypeError('text', `option "${name}" must be a string, a Uint8Array of UTF-8 or null, got ${describe(value)}`);
      }
      // RFC 24: each is one length octet long.
      if (Buffer.byteLength(value) > 255) {
        throw typeError(`option "${name}" must be at most 255 bytes long`, 'ERR_OUT_OF_RANGE');
      }
      return value;
    case 'enum':
      if (!spec.values.includes(/** @type {string | null} */ (value))) {
        throw typeError(
          `option "${name}" must be one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`,
        );
      }
      return value;
    case 'function':
      if (value !== null && typeof value !== 'function') {
        throw typeError(`option "${name}" must be a function or null, got ${describe(value)}`);
      }
      return value;
    default:
      throw new Error('unreachable');
  }
}

/**
 * Validates a constructor options argument; returns the full option set (defaults filled in).
 * @param {Kind} kind
 * @param {unknown} options
 * @returns {Record<string, unknown>}
 */
function resolve(kind, options) {
  const schema = schemas[kind];
  /** @type {Record<string, unknown>} */
  const values = {};
  for (const name of Object.keys(schema)) values[name] = defaults[name];
  if (options === undefined || options === null) return values;
  if (typeof options !== 'object' || Array.isArray(options)) {
    // zeromq.js's text, what was given in `.detail`.
    throw detailed(typeError('Options must be an object'), `socket options must be an object, got ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    const entry = Object.prototype.hasOwnProperty.call(schema, name) ? schema[name] : undefined;
    if (entry === undefined) throw unknownOption(kind, name);
    const value = /** @type {Record<string, unknown>} */ (options)[name];
    // `{ linger: undefined }` means "not given", as with most option bags.
    if (value !== undefined) values[name] = check(name, entry.spec, value);
  }
  for (const role of ['curveServer', 'curveServerKey']) {
    if (values[role] !== false && values[role] !== null && values.curveSecretKey === null) {
      throw typeError(`option "${role}" needs "curveSecretKey"`, 'ERR_INVALID_ARG_VALUE');
    }
  }
  return values;
}

/**
 * The error for an option name the socket type does not have, naming the option probably meant.
 * @param {Kind} kind
 * @param {string} name
 */
function unknownOption(kind, name) {
  if (READ_ONLY.includes(name)) {
    // What assigning it on the socket says (its getter is on the shared Socket prototype).
    const err = /** @type {TypeError & { code: string, detail: string }} */ (
      typeError(`Cannot set property ${name} of #<Socket> which has only a getter`, 'ERR_INVALID_ARG_VALUE')
    );
    err.detail = `'${name}' is a read-only property of the socket, not an option`;
    return err;
  }
  const schema = schemas[kind];
  const unsupported = table.UNSUPPORTED[kind];
  if (unsupported !== undefined && Object.hasOwn(unsupported, name)) {
    return typeError(`option '${name}' is not supported by zeromq-napi: ${unsupported[name]}`, 'ERR_INVALID_ARG_VALUE');
  }
  // An option of one other socket type is named as such; of several, it is simply unknown here.
  const owners = Object.hasOwn(table.OPTIONS, name) ? table.OPTIONS[name].kinds : [];
  let hint = '';
  if (owners.length === 1) {
    const owner = table.KINDS[owners[0]];
    hint = ` (it is ${/^[AEIOUX]/.test(owner) ? 'an' : 'a'} ${owner} option)`;
  } else {
    const lower = name.toLowerCase();
    const libzmq = Object.hasOwn(table.LIBZMQ_NAMES, lower) ? table.LIBZMQ_NAMES[lower] : undefined;
    const meant = libzmq !== undefined && Object.hasOwn(schema, libzmq) ? libzmq : closestName(name, Object.keys(schema));
    if (meant !== undefined) hint = `; did you mean '${meant}'?`;
  }
  // zeromq.js's text (its sealed socket refusing the property), our explanation in `.detail`.
  const err = /** @type {TypeError & { code: string, detail: string }} */ (
    typeError(`Cannot add property ${name}, object is not extensible`, 'ERR_INVALID_ARG_VALUE')
  );
  err.detail = `unknown option '${name}'${hint}`;
  return err;
}

/**
 * Validates one property assignment.
 * @param {Kind} kind
 * @param {string} name
 * @param {unknown} value
 */
function checkOne(kind, name, value) {
  return check(name, schemas[kind][name].spec, value);
}

/**
 * The object the native `Socket` takes (src/options.rs): every option it knows (the default for
 * those this socket type has not), routingId as bytes, and absent rather than null (napi-rs reads
 * only `undefined` as "none").
 * @param {Record<string, unknown>} values
 */
function toNative(values) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [name, value] of Object.entries({ ...defaults, ...values })) out[name] = value ?? undefined;
  // Byte options cross as bytes (a string as its UTF-8).
  for (const name of BYTE_OPTIONS) if (typeof out[name] === 'string') out[name] = Buffer.from(/** @type {string} */ (out[name]));
  // Installed apart (`security.install`): a function is not a plain option value.
  delete out.authenticate;
  return out;
}

/**
 * An option as a property read shows it: `curvePublicKey` is derived from the secret key
 * until it is set.
 * @param {Record<string, unknown>} values
 * @param {string} name
 */
function read(values, name) {
  const value = values[name];
  if (name === 'curvePublicKey' && value === null && typeof values.curveSecretKey === 'string') {
    return security.publicOf(values.curveSecretKey);
  }
  return value;
}

/**
 * The zeromq.js option names of `kind` that this engine does not implement.
 * @param {Kind} kind
 * @returns {string[]}
 */
function unsupportedNames(kind) {
  return Object.keys(table.UNSUPPORTED[kind] ?? {});
}

/**
 * The options every socket type has (zeromq.js's base `Socket` has them).
 * @returns {string[]}
 */
function commonNames() {
  const kinds = Object.keys(table.KINDS);
  return Object.keys(table.OPTIONS).filter((name) => kinds.every((kind) => table.OPTIONS[name].kinds.includes(/** @type {Kind} */ (kind))));
}

/**
 * The options that apply to existing connections at once (see scripts/option-table.js).
 * @returns {Set<string>}
 */
function immediateNames() {
  return new Set(Object.keys(table.OPTIONS).filter((name) => table.OPTIONS[name].immediate));
}

module.exports = { schemas, commonNames, immediateNames, resolve, checkOne, toNative, read, unsupportedNames, unknownOption };
