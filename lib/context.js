'use strict';
// Context: zeromq.js's `Context` and the default `context`, for code written against zeromq.js
// (`new Dealer({ context })`, `zmq.context.blocky = false`). libzmq gives each context its own I/O
// threads; this engine's threads are shared by the process, so a context here is a group of
// sockets and the options zeromq.js has on it, validated and held but changing nothing: the
// engine's threads are not per context (`ioThreads`, the thread options), `close()` never keeps
// the process alive (`blocky`), IPv6 addresses always work (`ipv6`), a socket is no context
// resource (`maxSockets`; libzmq's EMFILE beyond it does not happen here) and `maxMessageSize` is
// each socket's own option.

const { zmqError, typeError, optionTypeError, detailed, describe } = require('./errors.js');
const { requireNew } = require('./construct.js');

/** @type {unique symbol} */
const kValues = Symbol('zeromq-napi.contextValues');

/** libzmq's `ZMQ_MAX_SOCKETS` default and its hard limit (`ZMQ_SOCKET_LIMIT`) on Linux builds. */
const DEFAULT_MAX_SOCKETS = 1023;
const MAX_SOCKETS_LIMIT = 65535;

/** @typedef {{ kind: 'bool' } | { kind: 'int', min: number, max: number }} ContextSpec */

/** zeromq.js's writable context options, with libzmq's defaults. @type {Record<string, ContextSpec & { default: unknown }>} */
const CONTEXT_OPTIONS = {
  blocky: { kind: 'bool', default: true },
  ioThreads: { kind: 'int', min: 0, max: 0x7fffffff, default: 1 },
  ipv6: { kind: 'bool', default: false },
  maxMessageSize: { kind: 'int', min: -1, max: 0x7fffffff, default: 0x7fffffff },
  maxSockets: { kind: 'int', min: 1, max: MAX_SOCKETS_LIMIT, default: DEFAULT_MAX_SOCKETS },
  threadPriority: { kind: 'int', min: -1, max: 0x7fffffff, default: -1 },
  threadSchedulingPolicy: { kind: 'int', min: -1, max: 0x7fffffff, default: -1 },
};

/**
 * @param {string} name
 * @param {ContextSpec} spec
 * @param {unknown} value
 */
function checkValue(name, spec, value) {
  if (spec.kind === 'bool') {
    if (typeof value !== 'boolean') throw optionTypeError('boolean', `context option "${name}" must be a boolean, got ${describe(value)}`);
    return value;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw optionTypeError('number', `context option "${name}" must be an integer number, got ${describe(value)}`);
  }
  if (value < spec.min || value > spec.max) {
    // libzmq's answer to an out-of-range context option.
    throw zmqError('EINVAL', `context option "${name}" must be between ${spec.min} and ${spec.max}, got ${value}`);
  }
  return value;
}

class Context {
  /** @param {unknown} [options] */
  constructor(options) {
    if (arguments.length > 1) throw detailed(typeError('Expected 1 argument'), `new Context() takes one options object, got ${arguments.length} arguments`);
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw detailed(typeError('Options must be an object'), `Context options must be an object, got ${describe(options)}`);
    }
    /** @type {Record<string, unknown>} */
    this[kValues] = Object.fromEntries(Object.entries(CONTEXT_OPTIONS).map(([name, spec]) => [name, spec.default]));
    // As zeromq.js: an unknown name or a read-only one throws (V8's own texts) instead of being kept.
    Object.seal(this);
    if (options !== undefined) Object.assign(this, options);
  }

  /** libzmq's hard limit on `maxSockets`. */
  get maxSocketsLimit() {
    return MAX_SOCKETS_LIMIT;
  }
}

for (const [name, spec] of Object.entries(CONTEXT_OPTIONS)) {
  Object.defineProperty(Context.prototype, name, {
    configurable: true,
    enumerable: false,
    /** @this {Context} */
    get() {
      return this[kValues][name];
    },
    /** @this {Context} @param {unknown} value */
    set(value) {
      this[kValues][name] = checkValue(name, spec, value);
    },
  });
}

/**
 * The `context` a socket option names: a Context of this package, else `EINVAL` (as zeromq.js).
 * @param {unknown} value
 * @returns {Context}
 */
function checkContext(value) {
  if (value instanceof Context) return value;
  throw zmqError('EINVAL', `option "context" must be a Context of zeromq-napi, got ${describe(value)}`);
}

/** The context of sockets made without one (zeromq.js's `zmq.context`). */
const context = new Context();

const PublicContext = requireNew(Context);

module.exports = { Context: PublicContext, context, checkContext };
