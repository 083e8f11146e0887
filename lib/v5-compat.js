'use strict';
// `zeromq-napi/v5-compat`: the callback API of zeromq.js up to 5.x (what zeromq.js 6 keeps as
// `zeromq/v5-compat`), for code written in that style (`zmq.socket('rep')`, `.on('message')`),
// built on the public promise sockets: every socket type the package has, `proxy()`, `monitor()`,
// v5's `Context` limits and libzmq's constants.
//
// One difference is structural: `bind` is asynchronous in this package, so `bindSync(address)`
// starts the bind (after the binds and unbinds before it) and returns at once; a failure is
// emitted as 'error' instead of thrown, and
// `last_endpoint` is set once the bind is done (use `bind(address, callback)` to wait for it).

const { EventEmitter } = require('node:events');
const zmq = require('../index.js');
const { schemas } = require('./options.js');
const table = require('./option-table.js');
const { KIND_OF_TYPE } = require('./socket.js');
const context = /** @type {import('../index.js').Context} */ (/** @type {unknown} */ (require('./context.js').context));

/** @typedef {import('../index.js').Socket} PromiseSocket */
/** @typedef {import('../index.js').Message} Message */
/** @typedef {(err?: Error) => void} Callback */

/**
 * libzmq's option numbers (zmq.h), as zeromq.js exports them, and their name here (null: ZMQ_TYPE,
 * answered by the v5 socket itself); from the option table (scripts/option-table.js).
 */
const OPTIONS = table.LIBZMQ_OPTIONS;

/** The v5 short names (socket properties and `socket(type, options)` keys) and their option. */
const SHORT = table.LIBZMQ_SHORT;

/** Options that are booleans here and ints (0/1) in libzmq. */
const BOOLEAN_OPTIONS = new Set(
  Object.values(schemas).flatMap((schema) =>
    Object.entries(schema)
      .filter(([, { spec }]) => spec.kind === 'bool')
      .map(([name]) => name),
  ),
);

const BY_NUMBER = new Map(Object.values(OPTIONS).map(([number, name]) => [number, name]));
const ZMQ_SNDMORE = 2;

/**
 * This package's name of a v5 option (a short name, a `ZMQ_*` name or number), or null for ZMQ_TYPE.
 * @param {unknown} option
 * @returns {string | null}
 */
function optionName(option) {
  if (typeof option === 'number') {
    const name = BY_NUMBER.get(option);
    if (name !== undefined) return name;
  }
  if (typeof option === 'string') {
    if (Object.hasOwn(SHORT, option)) return OPTIONS[SHORT[option]][1];
    if (Object.hasOwn(OPTIONS, option)) return OPTIONS[option][1];
    // This package's own names (receiveTimeout, routingId, ...) work as they are.
    return option;
  }
  throw new TypeError(`Unknown option: ${String(option)}`);
}

/** @type {Readonly<Record<string, string>>} */
const CLASS_NAMES = {
  req: 'Request',
  rep: 'Reply',
  dealer: 'Dealer',
  xreq: 'Dealer',
  router: 'Router',
  xrep: 'Router',
  pub: 'Publisher',
  sub: 'Subscriber',
  xpub: 'XPublisher',
  xsub: 'XSubscriber',
  push: 'Push',
  pull: 'Pull',
  pair: 'Pair',
};

/**
 * libzmq's number of each v5 socket type (zmq.h; `ZMQ_PUB`...), from the table of the base
 * `Socket(type)` (lib/socket.js) through the class each type makes here.
 * @type {Readonly<Record<string, number>>}
 */
const TYPE_NUMBERS = Object.fromEntries(
  Object.entries(CLASS_NAMES).map(([v5, className]) => {
    const kind = Object.keys(table.KINDS).find((k) => table.KINDS[/** @type {keyof typeof table.KINDS} */ (k)] === className);
    const number = Object.entries(KIND_OF_TYPE).find(([, k]) => k === kind)?.[0];
    return [v5, Number(number)];
  }),
);

/** The v5 type name of each libzmq type number (the first, for the aliases `xreq`/`xrep`). */
const TYPE_NAMES = new Map(Object.entries(TYPE_NUMBERS).reverse().map(([name, number]) => [number, name]));

/**
 * zeromq.js v5's exported numbers that name no option of this package: libzmq's (zmq.h), so code
 * that passes them on gets this package's error for them rather than `undefined`.
 */
const LIBZMQ_CONSTANTS = {
  ZMQ_AFFINITY: 4,
  ZMQ_RATE: 8,
  ZMQ_SNDBUF: 11,
  ZMQ_RCVBUF: 12,
  ZMQ_RCVMORE: 13,
  ZMQ_FD: 14,
  ZMQ_EVENTS: 15,
  ZMQ_MULTICAST_HOPS: 25,
  ZMQ_IPV4ONLY: 31,
  ZMQ_TCP_KEEPALIVE: 34,
  ZMQ_TCP_KEEPALIVE_CNT: 35,
  ZMQ_TCP_KEEPALIVE_IDLE: 36,
  ZMQ_TCP_KEEPALIVE_INTVL: 37,
  ZMQ_TCP_ACCEPT_FILTER: 38,
  ZMQ_ROUTER_RAW: 41,
  ZMQ_XPUB_VERBOSE: 40,
  ZMQ_XPUB_VERBOSER: 78,
  ZMQ_POLLIN: 1,
  ZMQ_POLLOUT: 2,
  ZMQ_POLLERR: 4,
  ZMQ_STREAM: 11,
  STATE_READY: 0,
  STATE_BUSY: 1,
  STATE_CLOSED: 2,
};

/** libzmq's XPUB verbosity options (their numbers and names) and the `verbosity` each sets. */
/** @type {[Array<string | number>, string][]} */
const XPUB_VERBOSITY = [
  [[40, 'ZMQ_XPUB_VERBOSE', 'xpub_verbose'], 'allSubs'],
  [[78, 'ZMQ_XPUB_VERBOSER', 'xpub_verboser'], 'allSubsUnsubs'],
];

/** Types that never receive: no receive loop. */
const SEND_ONLY = new Set(['pub', 'push']);

/** libzmq's numbers of the subscription options (v5 code sets them with setsockopt). */
const ZMQ_SUBSCRIBE = 6;
const ZMQ_UNSUBSCRIBE = 7;

/**
 * The socket classes by v5 type name; Dealer and Router exist once the package exports them.
 * @param {string} type
 * @returns {new () => PromiseSocket}
 */
function socketClass(type) {
  const name = Object.hasOwn(CLASS_NAMES, type) ? CLASS_NAMES[type] : undefined;
  if (name === undefined) {
    throw new Error(`Invalid socket type: ${type} (zeromq-napi/v5-compat has ${Object.keys(CLASS_NAMES).join(', ')})`);
  }
  const Class = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (zmq))[name];
  if (typeof Class !== 'function') {
    throw new Error(`Socket type '${type}' needs zeromq-napi's ${name}, which this version does not have yet`);
  }
  return /** @type {new () => PromiseSocket} */ (Class);
}

/**
 * An error of the socket's background loops: emitted, unless the socket was closed meanwhile.
 * @param {Socket} sock
 * @param {unknown} err
 */
function quietAfterClose(sock, err) {
  if (!sock._socket.closed) process.nextTick(() => sock.emit('error', err));
}

/**
 * v5 monitor event names of this package's event names (zeromq.js v6's).
 * @type {Readonly<Record<string, string>>}
 */
const MONITOR_NAMES = {
  connect: 'connect',
  'connect:delay': 'connect_delay',
  'connect:retry': 'connect_retry',
  bind: 'listen',
  'bind:error': 'bind_error',
  accept: 'accept',
  'accept:error': 'accept_error',
  close: 'close',
  'close:error': 'close_error',
  disconnect: 'disconnect',
  handshake: 'handshake',
  'handshake:error:protocol': 'handshake_error_protocol',
  'handshake:error:auth': 'handshake_error_auth',
  'handshake:error:other': 'handshake_error_other',
};

class Socket extends EventEmitter {
  /** @param {string | number} type  a v5 type name, or libzmq's number of it */
  constructor(type) {
    super();
    if (typeof type === 'number') type = TYPE_NAMES.get(type) ?? String(type);
    const Class = socketClass(type);
    this.type = type;
    /** the promise socket underneath */
    this._socket = new Class();
    /** @type {unknown[]} frames of a message being put together with ZMQ_SNDMORE */
    this._parts = [];
    /** @type {[unknown[], Callback | undefined][]} */
    this._sendQueue = [];
    this._sending = false;
    this._paused = false;
    /** @type {Buffer[][]} messages received while paused */
    this._held = [];
    /** @type {(() => void) | undefined} lets a REP socket's receive loop go on once it replied */
    this._replied = undefined;
    /** @type {((event: { type: string, address?: string, error?: Error & { errno?: number }, interval?: number }) => void) | undefined} */
    this._monitor = undefined;
    /** @type {Promise<void>} the last bind or unbind (lib/socket.js takes one at a time) */
    this._endpoints = Promise.resolve();
    // REQ receives only after a send (its reply), REP receives, then waits for its reply to go
    // out; DEALER and ROUTER receive all the time.
    if (type !== 'req' && !SEND_ONLY.has(type)) this._receiveLoop();
  }

  /**
   * Emits a received message, one argument per frame (held while paused).
   * @param {Buffer[]} message
   */
  _deliver(message) {
    if (this._paused) this._held.push(message);
    else process.nextTick(() => this.emit('message', ...message));
  }

  async _receiveLoop() {
    while (!this._socket.closed) {
      let message;
      try {
        message = await this._socket.receive();
      } catch (err) {
        if (this._socket.closed) return;
        quietAfterClose(this, err);
        // A timeout (rcvtimeo) leaves the socket usable; anything else ends receiving.
        if (/** @type {{ code?: unknown }} */ (err).code === 'EAGAIN') continue;
        return;
      }
      if (this.type === 'rep') {
        // A REP socket cannot receive before it replied: wait for that send.
        await new Promise((resolve) => {
          this._replied = () => resolve(undefined);
          this._deliver(message);
        });
      } else {
        this._deliver(message);
      }
    }
  }

  async _sendLoop() {
    if (this._sending) return;
    this._sending = true;
    try {
      while (this._sendQueue.length > 0 && !this._paused && !this._socket.closed) {
        const [message, callback] = /** @type {[unknown[], Callback | undefined]} */ (this._sendQueue.shift());
        let failure;
        try {
          await this._socket.send(/** @type {Message} */ (message.length === 1 ? message[0] : message));
        } catch (err) {
          failure = err;
        }
        if (failure === undefined && this.type === 'rep' && this._replied) {
          const replied = this._replied;
          this._replied = undefined;
          replied();
        }
        if (callback) process.nextTick(callback, failure);
        else if (failure !== undefined) quietAfterClose(this, failure);
        if (failure === undefined && this.type === 'req') {
          // The reply comes before the next request goes (a REQ socket alternates).
          try {
            this._deliver(await this._socket.receive());
          } catch (err) {
            quietAfterClose(this, err);
          }
        }
      }
    } finally {
      this._sending = false;
    }
  }

  /**
   * @param {string} address
   * @param {Callback} [callback]
   */
  bind(address, callback) {
    this._endpointCall(() => this._socket.bind(address)).then(
      () =>
        process.nextTick(() => {
          this.emit('bind', address);
          if (callback) callback();
        }),
      /** @param {Error} err */
      (err) =>
        process.nextTick(() => {
          if (callback) callback(err);
          else this.emit('error', err);
        }),
    );
    return this;
  }

  /**
   * Runs a bind or unbind after the ones before it: the promise socket takes one at a time (a
   * second while one is pending rejects `EBUSY`), v5 code calls `bindSync` for several endpoints
   * in a row.
   * @param {() => Promise<void>} call
   * @returns {Promise<void>}
   */
  _endpointCall(call) {
    const next = this._endpoints.then(call, call);
    this._endpoints = next.catch(() => undefined);
    return next;
  }

  /**
   * Starts the bind and returns at once (see the top of this file); failures are 'error' events.
   * @param {string} address
   */
  bindSync(address) {
    return this.bind(address);
  }

  /**
   * @param {string} address
   * @param {Callback} [callback]
   */
  unbind(address, callback) {
    this._endpointCall(() => this._socket.unbind(address)).then(
      () =>
        process.nextTick(() => {
          this.emit('unbind', address);
          if (callback) callback();
        }),
      /** @param {Error} err */
      (err) =>
        process.nextTick(() => {
          if (callback) callback(err);
          else this.emit('error', err);
        }),
    );
    return this;
  }

  /** @param {string} address */
  unbindSync(address) {
    return this.unbind(address);
  }

  /** @param {string} address */
  connect(address) {
    this._socket.connect(address);
    return this;
  }

  /** @param {string} address */
  disconnect(address) {
    this._socket.disconnect(address);
    return this;
  }

  /**
   * Queues a message: a frame or an array of frames; with `flags` ZMQ_SNDMORE (2) the frames wait
   * for the rest of the message. `callback` gets the send's failure, if any.
   * @param {unknown} message
   * @param {number} [flags]
   * @param {Callback} [callback]
   */
  send(message, flags = 0, callback = undefined) {
    // v5 sent a number as its decimal text (`send(15.99)` is the frame "15.99").
    this._parts = this._parts.concat(message).map((frame) => (typeof frame === 'number' ? String(frame) : frame));
    if (((flags ?? 0) & ZMQ_SNDMORE) === 0) {
      this._sendQueue.push([this._parts, callback]);
      this._parts = [];
      void this._sendLoop();
    }
    return this;
  }

  pause() {
    this._paused = true;
    return this;
  }

  resume() {
    this._paused = false;
    for (const message of this._held.splice(0)) this._deliver(message);
    void this._sendLoop();
    return this;
  }

  close() {
    this._socket.close();
    return this;
  }

  /**
   * v5's monitor: the socket's events as v5 events (`listen`, `accept`, `connect`,
   * `disconnect`, `bind_error`, ...), each with `(value, address, error)`: the error's errno or
   * the retry interval as the value. `interval` and `numOfEvents` were libzmq's polling knobs:
   * events arrive as they happen here.
   * @param {number} [interval]
   * @param {number} [numOfEvents]
   */
  monitor(interval, numOfEvents) {
    void interval, void numOfEvents;
    if (this._monitor !== undefined) return this;
    const events = /** @type {EventEmitter} */ (/** @type {unknown} */ (this._socket.events));
    /** @param {{ type: string, address?: string, error?: Error & { errno?: number }, interval?: number }} event */
    const forward = (event) => {
      const name = MONITOR_NAMES[event.type];
      if (name === undefined) return;
      this.emit(name, event.error?.errno ?? event.interval ?? 0, event.address, event.error);
    };
    this._monitor = forward;
    for (const type of Object.keys(MONITOR_NAMES)) events.on(type, forward);
    return this;
  }

  /** Stops what `monitor()` started. */
  unmonitor() {
    const forward = this._monitor;
    if (forward === undefined) return this;
    this._monitor = undefined;
    const events = /** @type {EventEmitter} */ (/** @type {unknown} */ (this._socket.events));
    for (const type of Object.keys(MONITOR_NAMES)) events.off(type, forward);
    return this;
  }

  /**
   * A SUB/XSUB socket's subscription to messages starting with `filter` (v5's `subscribe`).
   * @param {unknown} filter
   */
  subscribe(filter) {
    this._subscriber('subscribe').subscribe(/** @type {string | Buffer} */ (filter));
    return this;
  }

  /** @param {unknown} filter */
  unsubscribe(filter) {
    this._subscriber('unsubscribe').unsubscribe(/** @type {string | Buffer} */ (filter));
    return this;
  }

  /**
   * @param {string} method
   * @returns {{ subscribe(f: string | Buffer): void, unsubscribe(f: string | Buffer): void }}
   */
  _subscriber(method) {
    const sock = /** @type {{ subscribe?: unknown, unsubscribe?: unknown }} */ (/** @type {unknown} */ (this._socket));
    if (typeof sock.subscribe !== 'function') throw new TypeError(`${method}() needs a 'sub' socket, this is '${this.type}'`);
    return /** @type {{ subscribe(f: string | Buffer): void, unsubscribe(f: string | Buffer): void }} */ (sock);
  }

  get closed() {
    return this._socket.closed;
  }

  read() {
    throw new Error("read() does not exist in zeromq-napi/v5-compat (nor in zeromq.js 6): use on('message', ...)");
  }

  /**
   * @param {unknown} option
   * @param {unknown} value
   */
  setsockopt(option, value) {
    if (option === ZMQ_SUBSCRIBE || option === 'ZMQ_SUBSCRIBE' || option === 'subscribe') return this.subscribe(value);
    if (option === ZMQ_UNSUBSCRIBE || option === 'ZMQ_UNSUBSCRIBE' || option === 'unsubscribe') return this.unsubscribe(value);
    const verbosity = XPUB_VERBOSITY.find(([names]) => names.includes(/** @type {string | number} */ (option)));
    if (verbosity !== undefined) {
      // libzmq's two 0/1 options are one value here (`verbosity`).
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (this._socket)).verbosity = value === 1 || value === true ? verbosity[1] : null;
      return this;
    }
    const name = optionName(option);
    if (name === 'lastEndpoint' || name === null) throw new TypeError(`Option ${String(option)} is read-only`);
    // v5 code passes libzmq's ints for its boolean options (`setsockopt(ZMQ_ROUTER_MANDATORY, 1)`).
    if (BOOLEAN_OPTIONS.has(name) && (value === 0 || value === 1)) value = value === 1;
    // The promise socket's option setters validate the value (TypeError).
    /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (this._socket))[name] = value;
    return this;
  }

  /**
   * @param {unknown} option
   * @returns {unknown}
   */
  getsockopt(option) {
    const name = optionName(option);
    if (name === null) return this.type;
    return /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (this._socket))[name];
  }
}

for (const short of Object.keys(SHORT)) {
  Object.defineProperty(Socket.prototype, short, {
    /** @this {Socket} */
    get() {
      return this.getsockopt(short);
    },
    /**
     * @this {Socket}
     * @param {unknown} value
     */
    set(value) {
      this.setsockopt(short, value);
    },
  });
}

/**
 * A new socket: `socket('req' | 'rep' | 'dealer' | 'router', { linger: 0, identity: 'me', ... })`.
 * @param {string} type
 * @param {Record<string, unknown>} [options]
 */
function socket(type, options = {}) {
  const sock = new Socket(type);
  for (const [key, value] of Object.entries(options)) sock.setsockopt(key, value);
  return sock;
}

const constants = Object.fromEntries(Object.entries(OPTIONS).map(([name, [number]]) => [name, number]));

/**
 * v5's `proxy(frontend, backend, capture)`: forwards in JavaScript between two v5 sockets of a
 * pairing (router/dealer, xpub/xsub, push/pull either way round), with what comes back from the
 * backend also sent to `capture` (a router/dealer's without its routing envelope), as zeromq.js's
 * v5-compat does. The promise API's `Proxy` forwards inside the engine instead.
 * @param {Socket} frontend
 * @param {Socket} backend
 * @param {Socket} [capture]
 */
function proxy(frontend, backend, capture) {
  /** @type {(frames: Buffer[]) => Buffer[]} what of a backend message the capture gets */
  let captured;
  switch (`${frontend.type}/${backend.type}`) {
    case 'push/pull':
    case 'pull/push':
    case 'xpub/xsub':
      captured = (frames) => frames;
      break;
    case 'router/dealer':
    case 'xrep/xreq':
      captured = (frames) => frames.slice(2);
      break;
    default:
      throw Object.assign(new Error('wrong socket order to proxy'), {
        detail: `v5 proxy() joins router/dealer, xpub/xsub or push/pull sockets (frontend first), got ${frontend.type}/${backend.type}`,
      });
  }
  frontend.on('message', (/** @type {Buffer[]} */ ...frames) => backend.send(frames));
  backend.on('message', (/** @type {Buffer[]} */ ...frames) => {
    frontend.send(frames);
    if (capture) capture.send(captured(frames));
  });
}

/** v5's `Context`: the default context's thread and socket limits (held, see lib/context.js). */
class Context {
  /** @param {number} value */
  static setMaxThreads(value) {
    context.ioThreads = value;
  }

  static getMaxThreads() {
    return context.ioThreads;
  }

  /** @param {number} value */
  static setMaxSockets(value) {
    context.maxSockets = value;
  }

  static getMaxSockets() {
    return context.maxSockets;
  }
}

/**
 * v5's `curveKeypair()`: a new CURVE key pair in Z85, as `{ public, secret }`.
 * @returns {{ public: string, secret: string }}
 */
function curveKeypair() {
  const { publicKey, secretKey } = zmq.curveKeyPair();
  return { public: publicKey, secret: secretKey };
}

module.exports = {
  version: zmq.version,
  Context,
  Socket,
  socket,
  createSocket: socket,
  proxy,
  curveKeypair,
  options: Object.fromEntries(Object.entries(SHORT).map(([short, long]) => [short, OPTIONS[long][0]])),
  ZMQ_SNDMORE,
  ZMQ_SUBSCRIBE,
  ZMQ_UNSUBSCRIBE,
  ...Object.fromEntries(Object.entries(TYPE_NUMBERS).map(([name, number]) => [`ZMQ_${name.toUpperCase()}`, number])),
  ...LIBZMQ_CONSTANTS,
  ...constants,
};
