'use strict';
// What every socket type (Request, Reply, Dealer, Router, Publisher, Subscriber, ...) shares: options as properties, endpoints, send/receive, close, iteration.
//
// Conventions (index.d.ts documents them for users):
// - async methods never throw synchronously: argument errors, closed sockets, engine errors all
//   become rejections;
// - connect/disconnect are synchronous and throw (TypeError, or an Error with `.code`);
// - each native call first tries to finish on this thread; a number back means "pending".

const native = require('./native.js');
const options = require('./options.js');
const security = require('./security.js');
const zap = require('./zap.js');
const { checkMessage, plainMessage, signalOf, checkKeys } = require('./message.js');
const { closedError, abortError, typeError, detailed, describe, zmqError, endpointBusyError } = require('./errors.js');
const events = require('./events.js');
const contexts = require('./context.js');
const { requireNew } = require('./construct.js');
const table = require('./option-table.js');

/** @type {unique symbol} */
const kNative = Symbol('zeromq-napi.native');
/** @type {unique symbol} */
const kOptions = Symbol('zeromq-napi.options');
/** @type {unique symbol} */
const kClosed = Symbol('zeromq-napi.closed');
/** @type {unique symbol} */
const kKind = Symbol('zeromq-napi.kind');
/** @type {unique symbol} */
const kOnClose = Symbol('zeromq-napi.onClose');
/** @type {unique symbol} */
const kEvents = Symbol('zeromq-napi.events');
/** @type {unique symbol} */
const kHasEndpoints = Symbol('zeromq-napi.hasEndpoints');
/** @type {unique symbol} */
const kBatch = Symbol('zeromq-napi.batch');
/** @type {unique symbol} */
const kBatchAt = Symbol('zeromq-napi.batchAt');
/** @type {unique symbol} */
const kTakeBatch = Symbol('zeromq-napi.takeBatch');
/** @type {unique symbol} */
const kSyncRun = Symbol('zeromq-napi.syncRun');
/** @type {unique symbol} */
const kYield = Symbol('zeromq-napi.yield');
/** @type {unique symbol} */
const kYielding = Symbol('zeromq-napi.yielding');
/** @type {unique symbol} */
const kInOrder = Symbol('zeromq-napi.inOrder');
/** @type {unique symbol} */
const kFinished = Symbol('zeromq-napi.finished');
/** @type {unique symbol} */
const kPending = Symbol('zeromq-napi.pending');
/** @type {unique symbol} */
const kEndpointOps = Symbol('zeromq-napi.endpointOps');
/** @type {unique symbol} */
const kCloseAfterEndpointOps = Symbol('zeromq-napi.closeAfterEndpointOps');
/** @type {unique symbol} */
const kEndpointOp = Symbol('zeromq-napi.endpointOp');
/** @type {unique symbol} */
const kBind = Symbol('zeromq-napi.bind');
/** @type {unique symbol} */
const kUnbind = Symbol('zeromq-napi.unbind');
/** @type {unique symbol} */
const kContext = Symbol('zeromq-napi.context');
/** @type {unique symbol} */
const kOptionOf = Symbol('zeromq-napi.optionOf');
/** @type {unique symbol} */
const kEndpointBusy = Symbol('zeromq-napi.endpointBusy');
/** @type {unique symbol} */
const kEndpointCall = Symbol('zeromq-napi.endpointCall');

/**
 * Options that apply to existing connections at once (the option table's `immediate`); any other
 * set after a bind or connect warns, as zeromq.js does, that it applies to later ones.
 */
const IMMEDIATE_OPTIONS = options.immediateNames();
const LATER_WARNING = 'Socket option will not take effect until next connect/bind.';

// Node 20 has Symbol.dispose; the fallback is the symbol older polyfills (and Node's) agreed on.
const disposeSymbol = /** @type {typeof Symbol.dispose} */ (Symbol.dispose ?? Symbol.for('nodejs.dispose'));

const RESOLVED = Promise.resolve();

/**
 * How many sends and receives in a row a socket finishes at once (promise settled in the same
 * turn) before one settles a turn later instead: a loop of `await sock.send()` or of `await
 * sock.receive()` over queued messages never leaves the microtask queue otherwise, and timers,
 * I/O and `setImmediate` callbacks would wait until it ends. zeromq.js yields after as many.
 */
const SYNC_RUN_LIMIT = 128;
/** @type {Record<import('./options.js').Kind, import('./native.js').NativeKind>} */
const NATIVE_KINDS = {
  request: 'req',
  reply: 'rep',
  dealer: 'dealer',
  router: 'router',
  publisher: 'pub',
  subscriber: 'sub',
  xpublisher: 'xpub',
  xsubscriber: 'xsub',
  push: 'push',
  pull: 'pull',
  pair: 'pair',
};
const SIGNAL_ONLY = ['signal'];

/**
 * Whether `err` is what a pending receive gets from close(), or a receive after it.
 * @param {unknown} err
 */
function isClosingError(err) {
  const code = /** @type {{ code?: unknown } | null} */ (err)?.code;
  return code === 'EAGAIN' || code === 'EBADF';
}

/** libzmq's socket type numbers (zmq.h), which zeromq.js's base `Socket(type)` takes. */
/** @type {Readonly<Record<number, import('./options.js').Kind>>} */
const KIND_OF_TYPE = {
  0: 'pair',
  1: 'publisher',
  2: 'subscriber',
  3: 'request',
  4: 'reply',
  5: 'dealer',
  6: 'router',
  7: 'pull',
  8: 'push',
  9: 'xpublisher',
  10: 'xsubscriber',
};

/** libzmq's option numbers (zmq.h) and this package's option of each. */
const OPTION_OF_NUMBER = new Map(
  Object.values(table.LIBZMQ_OPTIONS)
    .filter(([, name]) => name !== null)
    .map(([number, name]) => [number, /** @type {string} */ (name)]),
);

/**
 * Takes zeromq.js's `context` out of a constructor's options: the context and the other options.
 * @param {unknown} opts
 * @returns {{ context: import('./context.js').Context, rest: unknown }}
 */
function splitContext(opts) {
  if (opts === undefined || opts === null || typeof opts !== 'object' || !Object.hasOwn(opts, 'context')) {
    return { context: contexts.context, rest: opts };
  }
  const { context, ...rest } = /** @type {Record<string, unknown>} */ (opts);
  return { context: context === undefined ? contexts.context : contexts.checkContext(context), rest };
}

function toUndefined() {
  return undefined;
}

/**
 * @param {unknown} address
 * @param {string} method
 */
function checkAddress(address, method) {
  if (typeof address !== 'string') {
    throw typeError(`${method}() address must be a string such as "tcp://127.0.0.1:5555", got ${describe(address)}`);
  }
}

class Socket {
  /**
   * @param {import('./options.js').Kind} kind
   * @param {unknown} opts
   */
  constructor(kind, opts) {
    // zeromq.js's `context` option: the group the socket belongs to (lib/context.js).
    const { context, rest } = splitContext(opts);
    const values = options.resolve(kind, rest);
    /** @type {import('./context.js').Context} */
    this[kContext] = context;
    /** @type {import('./options.js').Kind} */
    this[kKind] = kind;
    /** @type {Record<string, unknown>} */
    this[kOptions] = values;
    /** @type {boolean} */
    this[kClosed] = false;
    /** @type {import('./native.js').NativeSocket} */
    this[kNative] = native.createSocket(NATIVE_KINDS[kind], options.toNative(values));
    // Before any bind or connect: no connection is ever accepted without the decision.
    security.install(this[kNative], values, true);
    /** @type {import('./events.js').SocketEvents | undefined} */
    this[kEvents] = undefined;
    /** @type {boolean} a bind or connect was made: options set now are for later connections */
    this[kHasEndpoints] = false;
    /** @type {boolean} a bind or unbind has not settled yet: another one rejects `EBUSY` */
    this[kEndpointBusy] = false;
    /**
     * The rest of the last received batch (src/batch.rs), served by the next receives in order
     * without a native call. The engine counts them against `receiveHighWaterMark` until it is
     * asked again, which happens only once they are all read; close() drops them, as it drops
     * every unread message.
     * @type {Buffer[][] | null}
     */
    this[kBatch] = null;
    /** @type {number} the next of `kBatch` to hand out */
    this[kBatchAt] = 0;
    /** @type {number} sends and receives finished at once since one last waited (`SYNC_RUN_LIMIT`) */
    this[kSyncRun] = 0;
    /** @type {Promise<unknown> | null} the last `kYield` promise while it is not settled */
    this[kYielding] = null;
    /** @type {number} bind() and unbind() promises not settled yet */
    this[kEndpointOps] = 0;
    /** @type {boolean} close() was called while `kEndpointOps` > 0: it closes when they settle */
    this[kCloseAfterEndpointOps] = false;
    // As zeromq.js: an assignment to anything but an option (a typo: `sock.recieveTimeout = 1`)
    // throws a TypeError instead of quietly doing nothing.
    Object.seal(this);
  }

  /**
   * zeromq.js's `securityMechanism`: the mechanism of this socket's connections.
   * @returns {'curve' | 'plain' | null}
   */
  get securityMechanism() {
    const values = this[kOptions];
    if (values.curveServer === true || values.curveServerKey != null) return 'curve';
    if (values.plainServer === true || values.plainUsername != null) return 'plain';
    return null;
  }

  /** zeromq.js's `readable`: a `receive()` would finish at once. */
  get readable() {
    return !this[kClosed] && (this[kBatch] !== null || this[kNative].readable);
  }

  /** zeromq.js's `writable`: a `send()` would be taken at once. */
  get writable() {
    return !this[kClosed] && this[kNative].writable;
  }

  /** zeromq.js's `context`: the one given as an option, else the default `context`. */
  get context() {
    return this[kContext];
  }

  /** @returns {boolean} */
  get closed() {
    return this[kClosed];
  }

  /**
   * Made on first read: until then the engine builds no event.
   * @returns {import('./events.js').SocketEvents}
   */
  get events() {
    let emitter = this[kEvents];
    if (emitter === undefined) {
      emitter = events.watch(this[kNative], this[kClosed]);
      this[kEvents] = emitter;
    }
    return emitter;
  }

  /** @returns {string | null} */
  get lastEndpoint() {
    return this[kNative].lastEndpoint ?? null;
  }

  /**
   * @param {string} address
   * @returns {Promise<void>}
   */
  bind(address) {
    const started = this[kBind](address);
    if (address === zap.ENDPOINT) started.then(() => zap.bound(this, address), toUndefined);
    return this[kEndpointOp](started);
  }

  /**
   * @param {string} address
   * @returns {Promise<void>}
   */
  unbind(address) {
    if (address === zap.ENDPOINT) zap.unbound(this, address);
    return this[kEndpointOp](this[kUnbind](address));
  }

  /**
   * `started`, counted until it settles: a close() meanwhile waits for it (zeromq.js's order: a
   * socket closed while a bind or unbind is under way stays open, `closed` false, until that
   * settles; then it closes).
   * @param {Promise<void>} started
   * @returns {Promise<void>}
   */
  [kEndpointOp](started) {
    if (this[kClosed]) return started;
    this[kEndpointOps]++;
    const settled = () => {
      if (--this[kEndpointOps] === 0 && this[kCloseAfterEndpointOps]) this.close();
    };
    return started.then(settled, (err) => {
      settled();
      throw err;
    });
  }

  /**
   * @param {string} address
   * @returns {Promise<void>}
   */
  [kBind](address) {
    try {
      checkAddress(address, 'bind');
      if (this[kClosed]) return Promise.reject(closedError());
      this[kHasEndpoints] = true;
      return this[kEndpointCall](() => this[kNative].bind(address));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * One bind or unbind at a time, as zeromq.js (and libzmq under it) has it: while one has not
   * settled, the next rejects `EBUSY`; the socket is free again once the promise has settled.
   * @param {() => number | unknown} call  the native call: an op id (pending) or done
   * @returns {Promise<void>}
   */
  [kEndpointCall](call) {
    if (this[kEndpointBusy]) return Promise.reject(endpointBusyError());
    const r = call();
    const done = typeof r === 'number' ? native.wait(r, undefined, this).then(toUndefined) : RESOLVED;
    this[kEndpointBusy] = true;
    const free = () => {
      this[kEndpointBusy] = false;
    };
    done.then(free, free);
    return done;
  }

  /**
   * @param {string} address
   * @returns {Promise<void>}
   */
  [kUnbind](address) {
    try {
      checkAddress(address, 'unbind');
      if (this[kClosed]) return Promise.reject(closedError());
      return this[kEndpointCall](() => this[kNative].unbind(address));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * @param {string} address
   * @param {unknown} [opts]  zeromq.js's per-connect options (a Router's `routingId` for the peer):
   *   not supported, so anything given throws instead of being ignored
   */
  connect(address, opts) {
    checkAddress(address, 'connect');
    if (opts !== undefined && (typeof opts !== 'object' || opts === null || Object.keys(opts).length > 0)) {
      throw typeError(`connect() takes no options here (zeromq.js's connect routingId is not supported), got ${describe(opts)}`);
    }
    if (this[kClosed]) throw closedError();
    this[kHasEndpoints] = true;
    const nativeSocket = this[kNative];
    nativeSocket.connect(address);
    // The engine holds the attempt until this synchronous run ends, so that `sock.events` read
    // right after connect() sees its connect and handshake (on loopback they can be done sooner).
    queueMicrotask(() => nativeSocket.releaseConnects());
  }

  /** @param {string} address */
  disconnect(address) {
    checkAddress(address, 'disconnect');
    if (this[kClosed]) throw closedError();
    this[kNative].disconnect(address);
  }

  /**
   * @param {unknown} message
   * @param {{ signal?: AbortSignal }} [opts]
   * @returns {Promise<void>}
   */
  send(message, opts) {
    try {
      checkKeys(opts, 'send()', SIGNAL_ONLY);
      const signal = signalOf(opts, 'send()');
      checkMessage(message);
      if (signal !== undefined && signal.aborted) return Promise.reject(abortError(signal));
      if (this[kClosed]) return Promise.reject(closedError());
      const nativeSocket = this[kNative];
      const plain = plainMessage(message);
      const burst = native.laterInTurn(nativeSocket);
      // A later send of the turn the engine has room for is kept for one native call per turn;
      // either way it finished at once, so it counts towards the yield that keeps loops fair.
      if (!(burst && nativeSocket.queueSend(plain))) {
        const r = nativeSocket.send(plain, burst);
        if (typeof r === 'number') return this[kPending](native.wait(r, signal, this));
      }
      return this[kFinished](undefined, RESOLVED);
    } catch (err) {
      return this[kInOrder](Promise.reject(err));
    }
  }

  /**
   * @param {{ signal?: AbortSignal }} [opts]
   * @returns {Promise<Buffer[]>}
   */
  receive(opts) {
    try {
      checkKeys(opts, 'receive()', SIGNAL_ONLY);
      const signal = signalOf(opts, 'receive()');
      if (signal !== undefined && signal.aborted) return Promise.reject(abortError(signal));
      if (this[kClosed]) return Promise.reject(closedError());
      const batch = this[kBatch];
      let message;
      if (batch !== null) {
        message = batch[this[kBatchAt]++];
        if (this[kBatchAt] === batch.length) this[kBatch] = null;
      } else {
        const r = this[kNative].recv();
        if (typeof r === 'number') return this[kPending](native.wait(r, signal, this, this[kTakeBatch]));
        message = this[kTakeBatch](native.unpack(r));
      }
      return this[kFinished](message, Promise.resolve(message));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * What a native receive gave, as the message to hand out now: the first of a batch, whose
   * rest waits in `kBatch` (only ever empty when the native receive was made).
   * @param {Buffer[] | Buffer[][]} received
   * @returns {Buffer[]}
   */
  [kTakeBatch] = (received) => {
    if (!native.isBatch(received)) return received;
    // Settled after close(): the rest is dropped with the socket's other unread messages.
    if (!this[kClosed]) {
      this[kBatch] = received;
      this[kBatchAt] = 1;
    }
    return received[0];
  };

  /**
   * A send or receive that finished at once: `settled` (a promise of `value`) in call order, or,
   * for every `SYNC_RUN_LIMIT`-th in a row, `value` a turn later so that a tight loop lets timers
   * and I/O run.
   * @template T
   * @param {T} value
   * @param {Promise<T>} settled
   * @returns {Promise<T>}
   */
  [kFinished](value, settled) {
    if (++this[kSyncRun] === SYNC_RUN_LIMIT) return this[kYield](value);
    return this[kInOrder](settled);
  }

  /**
   * A send or receive left pending: it ends the run of ones finished at once.
   * @template T
   * @param {Promise<T>} pending
   * @returns {Promise<T>}
   */
  [kPending](pending) {
    this[kSyncRun] = 0;
    return this[kInOrder](pending);
  }

  /**
   * A promise for `value` settled in a later event-loop turn (`SYNC_RUN_LIMIT`); the operation
   * itself is done.
   * @template T
   * @param {T} value
   * @returns {Promise<T>}
   */
  [kYield](value) {
    this[kSyncRun] = 0;
    /** @type {Promise<T>} */
    const later = new Promise((resolve) => {
      setImmediate(() => {
        if (this[kYielding] === later) this[kYielding] = null;
        resolve(value);
      });
    });
    this[kYielding] = later;
    return later;
  }

  /**
   * `result`, settled no sooner than a `kYield` promise handed out before it: operations settle in
   * the order they were called (unawaited sends in a burst), yielded or not.
   * @template T
   * @param {Promise<T>} result
   * @returns {Promise<T>}
   */
  [kInOrder](result) {
    const yielding = this[kYielding];
    if (yielding === null) return result;
    // Both handlers at once: a rejection waiting for `yielding` is not an unhandled one.
    return result.then(
      (value) => yielding.then(() => value),
      (err) =>
        yielding.then(() => {
          throw err;
        }),
    );
  }

  /**
   * Idempotent. Pending operations reject EAGAIN, later ones EBADF. While a bind() or unbind() is
   * under way the socket closes when it settles (`kEndpointOp`).
   */
  close() {
    if (this[kClosed]) return;
    if (this[kEndpointOps] > 0) {
      this[kCloseAfterEndpointOps] = true;
      return;
    }
    this[kClosed] = true;
    this[kBatch] = null;
    zap.unbound(this, undefined);
    this[kOnClose]();
    this[kEvents]?.closing();
    native.endBurst(this[kNative]);
    this[kNative].close();
  }

  /**
   * zeromq.js's low-level option access by libzmq number (zmq.h): the option of this package with
   * that number, read or assigned as its property is (so validated the same way).
   * @param {unknown} number
   * @returns {string}
   */
  [kOptionOf](number) {
    const name = typeof number === 'number' ? OPTION_OF_NUMBER.get(number) : undefined;
    if (name === undefined || !(name in this)) {
      throw zmqError('EINVAL', `libzmq option ${describe(number)} is not an option of this socket here (zeromq-napi has the options of API.md)`);
    }
    return name;
  }

  /** Subclasses settle their own JS-side queues here. */
  [kOnClose]() {}

  [disposeSymbol]() {
    this.close();
  }

  /** @returns {AsyncGenerator<Buffer[], void, undefined>} */
  async *[Symbol.asyncIterator]() {
    while (!this[kClosed]) {
      let message;
      try {
        message = await this.receive();
      } catch (err) {
        // The close() ends the iteration (its cancellation EAGAIN, or EBADF after it); any other
        // error, even one that settles after close(), is the caller's to see (zeromq.js too).
        if (this[kClosed] && isClosingError(err)) return;
        throw err;
      }
      yield message;
    }
  }
}

// zeromq.js's get/set{Bool,Int32,Uint32,Int64,Uint64,String}Option(number[, value]).
for (const type of ['Bool', 'Int32', 'Uint32', 'Int64', 'Uint64', 'String']) {
  const asString = type === 'String';
  Object.defineProperty(Socket.prototype, `get${type}Option`, {
    configurable: true,
    writable: true,
    enumerable: false,
    /** @this {Socket} @param {number} number */
    value(number) {
      const value = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (this))[this[kOptionOf](number)];
      return asString && Buffer.isBuffer(value) ? value.toString() : value;
    },
  });
  Object.defineProperty(Socket.prototype, `set${type}Option`, {
    configurable: true,
    writable: true,
    enumerable: false,
    /** @this {Socket} @param {number} number @param {unknown} value */
    value(number, value) {
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (this))[this[kOptionOf](number)] = value;
    },
  });
}

/**
 * zeromq.js's base `Socket(type, options)`: `type` is libzmq's number of the socket type; the
 * socket has the options every type shares (a subclass such as `Dealer` adds its own).
 * @param {unknown[]} args
 * @returns {[import('./options.js').Kind, unknown]}
 */
function baseSocketArgs(args) {
  if (args.length > 2) throw typeError('Expected 2 arguments');
  const [type, opts] = args;
  if (typeof type !== 'number') {
    throw detailed(typeError('Socket type must be a number'), `Socket type must be libzmq's number of the type, got ${describe(type)}`);
  }
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
    throw detailed(typeError('Options must be an object'), `Socket options must be an object, got ${describe(opts)}`);
  }
  const kind = Object.hasOwn(KIND_OF_TYPE, type) ? KIND_OF_TYPE[type] : undefined;
  if (kind === undefined) {
    throw zmqError('EINVAL', `socket type ${type} is not one of zeromq-napi's (${Object.entries(KIND_OF_TYPE).map(([n, k]) => `${n} ${k}`).join(', ')})`);
  }
  return [kind, opts];
}

/**
 * Takes the unread rest of `socket`'s last batch (for a proxy taking the socket over: what the
 * user has not read is the proxy's to forward, as it would be if it were still in the engine).
 * @param {Socket} socket
 * @returns {Buffer[][]}
 */
function takeUnread(socket) {
  const batch = socket[kBatch];
  if (batch === null) return [];
  const at = socket[kBatchAt];
  socket[kBatch] = null;
  return batch.slice(at);
}

/**
 * Defines each option of `kind` as a validated accessor on `proto`; writes go to the engine.
 * @param {object} proto
 * @param {import('./options.js').Kind} kind
 * @param {string[]} [names]  the options to define (default: all of `kind`'s)
 */
function defineOptionProperties(proto, kind, names = Object.keys(options.schemas[kind])) {
  for (const name of names) {
    Object.defineProperty(proto, name, {
      configurable: true,
      enumerable: false,
      get() {
        return options.read(this[kOptions], name);
      },
      /** @param {unknown} value */
      set(value) {
        const checked = options.checkOne(kind, name, value);
        if (this[kHasEndpoints] && !IMMEDIATE_OPTIONS.has(name)) process.emitWarning(LATER_WARNING);
        this[kOptions][name] = checked;
        this[kNative].setOptions(options.toNative(this[kOptions]));
        if (security.DECIDING.has(name)) security.install(this[kNative], this[kOptions]);
      },
    });
  }
  // zeromq.js has these on the type; assigning one says why it does nothing here, by throwing.
  for (const name of options.unsupportedNames(kind)) {
    Object.defineProperty(proto, name, {
      configurable: true,
      enumerable: false,
      get() {
        return undefined;
      },
      set() {
        throw options.unknownOption(kind, name);
      },
    });
  }
}

/**
 * Takes away the methods a socket type does not have (a Publisher does not receive, a Subscriber
 * does not send), as zeromq.js's classes do not have them either.
 * @param {object} proto
 * @param {{ send?: false, receive?: false }} without
 */
function withoutMethods(proto, without) {
  const names = [];
  if (without.send === false) names.push('send');
  if (without.receive === false) names.push('receive', Symbol.asyncIterator);
  for (const name of names) {
    Object.defineProperty(proto, name, { configurable: true, enumerable: false, writable: false, value: undefined });
  }
}

defineOptionProperties(Socket.prototype, 'pair', options.commonNames());

/** The exported `Socket`: zeromq.js's base class (lib/construct.js), `extends` works as with a class. */
const PublicSocket = requireNew(Socket, baseSocketArgs);

/**
 * zeromq.js's `Observer`: `new Observer(socket)` is the socket's one `events` (so
 * `sock.events instanceof Observer`); made through `requireNew` like the other constructors.
 * @param {unknown} socket
 * @returns {import('./events.js').SocketEvents}
 */
function Observer(socket) {
  if (!(socket instanceof Socket)) throw typeError(`new Observer(socket) takes a socket of zeromq-napi, got ${describe(socket)}`);
  return socket.events;
}
Observer.prototype = events.SocketEvents.prototype;
const PublicObserver = requireNew(/** @type {new (socket: unknown) => import('./events.js').SocketEvents} */ (/** @type {unknown} */ (Observer)));

module.exports = { Socket, PublicSocket, PublicObserver, KIND_OF_TYPE, defineOptionProperties, withoutMethods, takeUnread, kNative, kClosed, kOnClose, disposeSymbol };
