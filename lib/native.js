'use strict';
// Loads the addon and runs the settlement side of the native API (see src/executor.rs).
//
// Native async methods return either their result (they finished on this thread) or a number: the
// id of a pending operation. Its outcome arrives later through `settle(id, value)`, called by the
// hub's threadsafe function; `value` is the result or an Error with `.code`. (`settle(0, ...)` is
// a wake-up that finished nothing.) `binding.cancel(id)` drops a pending operation synchronously.
//
// A native socket is a number, its id in this environment's registry (src/liveness.rs);
// `NativeSocket` below calls the addon's `socket*` functions with it. Ids are never reused, and a
// socket's native half is released only once its `NativeSocket` has been collected.

const { abortError } = require('./errors.js');
const { IdTable } = require('./id-table.js');
const { types } = require('node:util');
const { viewByteLength } = require('./message.js');
const { SendQueue } = require('./send-queue.js');

/**
 * What a native async method returns: its result (it finished on this thread), or a number, the
 * id of a pending operation settled later (no result is a number).
 * @typedef {unknown} Started
 */

/**
 * The addon's socket (src/socket.rs); arguments are validated by the JS layer first.
 * @typedef {object} NativeSocket
 * @property {(endpoint: string) => Started} bind  resolves to the resolved endpoint
 * @property {(endpoint: string) => Started} unbind
 * @property {(endpoint: string) => void} connect  validates and registers; starts at releaseConnects
 * @property {() => void} releaseConnects
 * @property {(endpoint: string) => void} disconnect
 * @property {(message: unknown, burst: boolean) => Started} send  `burst`: a later send of this event-loop turn (see `laterInTurn`)
 * @property {() => void} flushSends  writes what this turn's later sends left (see `laterInTurn`)
 * @property {() => boolean} flushQueued  hands this turn's queued sends to the engine and writes them, with the engine's burst; whether there were any (see `queueSend`)
 * @property {number} room  how many more sends of this turn the engine said it takes (-1: not asked)
 * @property {(message: unknown) => boolean} queueSend  keeps a later send of this turn for one native call, if the engine has room (see `queueSend`)
 * @property {number} turn  its sends in this event-loop turn: `NO_SEND`, `ONE_SEND` or `LATER_SENDS` (see `laterInTurn`)
 * @property {number} stamp  the `turnStamp` of its last first send of a turn (see `laterInTurn`)
 * @property {() => boolean} answersMore  a REP whose next request is already in: its reply can wait for the turn's end (see `laterInTurn`)
 * @property {() => Started} recv  resolves to a message or a batch of them (see `unpack`, `isBatch`)
 * @property {(message: unknown, timeout: number | undefined, retries: number) => Started} request
 * @property {() => Started} recvRequest  resolves to `[token, message]` (see `unpack`)
 * @property {(token: number, message: unknown) => Started} reply
 * @property {(token: number) => void} forget
 * @property {(other: NativeSocket) => Started} proxy  DEALER/ROUTER, XSUB/XPUB, PULL/PUSH: forwards until a socket closes or it is cancelled
 * @property {(paused: boolean) => void} pauseProxy  pauses or resumes the proxy this socket is the frontend of
 * @property {(prefix: Buffer, on: boolean) => void} subscribe  SUB: subscribe to (on) or undo one subscription of a prefix
 * @property {() => void} close
 * @property {(options: Record<string, unknown>) => void} setOptions  takes every option
 * @property {(callback: (name: string, address: string, code: string | null, message: string | null, interval: number | null) => void) => void} watchEvents
 * @property {(on: boolean) => void} keepEventsAlive
 * @property {(callback: ((request: AuthRequest) => void) | null) => void} setAuthenticator
 * @property {number} id  its id in the addon's registry
 * @property {boolean} closed
 * @property {boolean} readable  a receive would finish at once
 * @property {boolean} writable  a send would be taken at once
 * @property {string | null} lastEndpoint
 */

/**
 * The addon's functions (src/hub.rs, src/socket_functions.rs and the rest); each `socket*`
 * function takes a socket id first.
 * @typedef {object} Binding
 * @property {(settle: (id: number, value: unknown) => void, readOnJsThread: boolean, externalBuffers: boolean, slabs: { received: Uint8Array, receivedLayout: Uint32Array, sent: Uint8Array, sentLengths: Uint32Array }) => void} init
 * @property {(id: number) => boolean} cancel
 * @property {() => number} pendingCount
 * @property {() => { readsOnJsThread: boolean, externalBuffers: boolean }} paths
 * @property {(kind: NativeKind, options: Record<string, unknown>) => number} socketOpen
 * @property {(id: number) => void} socketRelease
 * @property {() => Record<string, unknown>} optionDefaults
 * @property {() => { code: string, errno: number, message: string }[]} errorTable
 * @property {() => { publicKey: string, secretKey: string }} curveKeyPair
 * @property {(key: string | Buffer) => string} curveKeyZ85  throws when malformed
 * @property {(secretZ85: string) => string} curvePublicOf
 * @property {(id: number, allowed: boolean) => void} authDecision
 */

/**
 * What `setAuthenticator`'s callback gets for each new connection (src/authenticate.rs).
 * @typedef {object} AuthRequest
 * @property {number} id
 * @property {'NULL' | 'PLAIN' | 'CURVE'} mechanism
 * @property {string} address
 * @property {string | undefined} [publicKey]
 * @property {string | undefined} [username]
 * @property {string | undefined} [password]
 * @property {Buffer | undefined} [usernameBytes]
 * @property {Buffer | undefined} [passwordBytes]
 * @property {Buffer | undefined} [routingId]
 * @property {string | undefined} [domain]
 */

// The loader's error already lists what it tried and how to get a binary.
const binding = /** @type {Binding} */ (require('./binding.js').load());

/**
 * @typedef {object} Pending
 * @property {(value: any) => void} resolve
 * @property {((value: any) => unknown) | undefined} map  what the promise resolves to, from the value
 * @property {(reason: unknown) => void} reject
 * @property {AbortSignal | undefined} signal
 * @property {(() => void) | undefined} onAbort
 * @property {object | undefined} owner  keeps the JS socket (and so the native one) reachable
 */

/** @type {IdTable<Pending>} (not a `Map`: see lib/id-table.js) */
const pending = new IdTable();

// Small received frames arrive packed in here, standing in the frame array as their lengths
// (src/slab.rs); `unpack` turns them into Buffers before anything else can write the slab again.
const slab = new Uint8Array(64 * 1024);

/** Frames up to this many bytes are copied out of the slab byte by byte. */
const TINY_FRAME = 32;

// A receive result that fit whole into the slab crosses as `null`, its shape in here (src/slab.rs
// `Slab::lay_out`): the message count, whether it is a batch, then per message its frame count and
// each frame's length; JavaScript builds the arrays (made through napi element by element, they
// cost more than the messages' Buffers). 256 messages (src/batch.rs `MAX`) of 3 frames fit.
const recvLayout = new Uint32Array(new ArrayBuffer(4 * 1026));

/**
 * A fresh Buffer holding `length` bytes of the slab from `offset`.
 * @param {number} offset
 * @param {number} length
 * @returns {Buffer}
 */
function slabFrame(offset, length) {
  // A copy into memory of its own (not Node's shared pool: a received frame owns its memory,
  // whatever its size); the slab is reused for the next message.
  const own = Buffer.allocUnsafeSlow(length);
  if (length <= TINY_FRAME) {
    // Cheaper than a subarray view and a `set` at this size.
    for (let j = 0; j < length; j++) own[j] = slab[offset + j];
  } else {
    own.set(slab.subarray(offset, offset + length));
  }
  return own;
}

/**
 * What `recvLayout` and the slab hold: a message (`Buffer[]`) or a batch (`Buffer[][]`).
 * @returns {Buffer[] | Buffer[][]}
 */
function unpackLaidOut() {
  const count = recvLayout[0];
  const batch = recvLayout[1] === 1;
  /** @type {Buffer[][]} */
  const messages = new Array(count);
  let word = 2;
  let offset = 0;
  for (let m = 0; m < count; m++) {
    const frameCount = recvLayout[word++];
    /** @type {Buffer[]} */
    const frames = new Array(frameCount);
    for (let f = 0; f < frameCount; f++) {
      const length = recvLayout[word++];
      frames[f] = slabFrame(offset, length);
      offset += length;
    }
    messages[m] = frames;
  }
  return batch ? messages : messages[0];
}

/**
 * A message from the addon with its packed frames made into Buffers (in place), the first of them
 * at `offset` in the slab; returns the offset after its last.
 * @param {(Buffer | number)[]} frames
 * @param {number} offset
 * @returns {number}
 */
function unpackFrames(frames, offset) {
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i];
    if (typeof frame === 'number') {
      frames[i] = slabFrame(offset, frame);
      offset += frame;
    }
  }
  return offset;
}

/**
 * Any value the addon returns or settles with, messages unpacked: `Buffer[]` (a message),
 * `Buffer[][]` (a batch of messages, src/batch.rs: see `isBatch`) or `[token, Buffer[]]` (a
 * request taken by `recvRequest`); other values pass through.
 * @param {unknown} value
 * @returns {any}
 */
function unpack(value) {
  // No result is null but one laid out in the slab (src/batch.rs).
  if (value === null) return unpackLaidOut();
  if (!Array.isArray(value)) return value;
  // Frames are never arrays: an array first means a batch, an array second [token, frames].
  if (Array.isArray(value[0])) {
    let offset = 0;
    for (let i = 0; i < value.length; i++) offset = unpackFrames(value[i], offset);
  } else if (value.length === 2 && Array.isArray(value[1])) {
    unpackFrames(value[1], 0);
  } else {
    unpackFrames(value, 0);
  }
  return value;
}

/**
 * Whether an unpacked receive result is a batch (`Buffer[][]`) rather than one message.
 * @param {Buffer[] | Buffer[][]} value
 * @returns {value is Buffer[][]}
 */
function isBatch(value) {
  return Array.isArray(value[0]);
}

/**
 * @param {number} id
 * @param {unknown} value
 */
function settle(id, value) {
  // Every settle is an event callback of its own (see `laterInTurn`).
  turnStamp++;
  // First, even for an id nobody waits for any more: the slab is only good until this returns.
  value = unpack(value);
  const entry = pending.get(id);
  if (entry === undefined) return;
  pending.delete(id);
  if (entry.onAbort !== undefined && entry.signal !== undefined) {
    entry.signal.removeEventListener('abort', entry.onAbort);
  }
  if (value instanceof Error) {
    entry.reject(value);
  } else {
    const map = entry.map;
    entry.resolve(map === undefined ? value : map(value));
  }
}

// A send's small frames cross the other way through a second pair of arrays (src/slab.rs
// `SendSlab`): copied in here (`packMessage`), read there by the native call, instead of the
// native side asking napi where each frame's bytes are (which moves a small Buffer out of V8's
// heap first). Strings are encoded straight in.
/** The most bytes of a message that is packed; a bigger one is read in place. */
const PACK_MAX_BYTES = 8 * 1024;
/** The most frames of a message that is packed. */
const PACK_MAX_FRAMES = 16;
const packBytes = Buffer.allocUnsafeSlow(PACK_MAX_BYTES);
// Over an ArrayBuffer of its own: a small typed array made by length alone may live inside V8's
// heap, where its bytes move (napi would move them out for good on the first look, but not
// by contract); the addon keeps these arrays' addresses (src/slab.rs).
const packLengths = new Uint32Array(new ArrayBuffer(4 * PACK_MAX_FRAMES));

/**
 * Copies frame `index` of a message into the send slab at byte `at`; its length, or -1 when it
 * is not a Uint8Array (Buffer), string or null, or does not fit.
 * @param {unknown} frame  (checked by checkMessage)
 * @param {number} index
 * @param {number} at
 * @returns {number}
 */
function packFrame(frame, index, at) {
  let length = 0;
  if (typeof frame === 'string') {
    // At most 3 bytes per UTF-16 unit: a string that may not fit is not packed at all.
    if (at + frame.length * 3 > PACK_MAX_BYTES) return -1;
    length = packBytes.write(frame, at);
  } else if (frame !== null) {
    if (!types.isUint8Array(frame)) return -1;
    length = viewByteLength(/** @type {Uint8Array} */ (frame));
    if (at + length > PACK_MAX_BYTES) return -1;
    // (A detached array has no bytes, and `set` would throw for it.)
    if (length > 0) packBytes.set(/** @type {Uint8Array} */ (frame), at);
  }
  packLengths[index] = length;
  return length;
}

/**
 * Packs a checked message (from plainMessage) into the send slab: its frame count, or -1 when it
 * is not packed (then the native call reads it in place).
 * @param {unknown} message
 * @returns {number}
 */
function packMessage(message) {
  if (!Array.isArray(message)) return packFrame(message, 0, 0) < 0 ? -1 : 1;
  const count = message.length;
  if (count > PACK_MAX_FRAMES) return -1;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const length = packFrame(message[i], i, at);
    if (length < 0) return -1;
    at += length;
  }
  return count;
}

// Who reads connections, decided here by asking the runtime (nothing is tried and caught):
// - Node's main thread: its own event loop (src/uv_read.rs), through the libuv that Node exports
//   to addons;
// - Bun and Deno implement napi but not libuv, and Node's worker threads wait until it is shown
//   that a worker's teardown always runs the close callbacks of the poll handles src/uv_read.rs
//   closes at env teardown (the addon's instance data finalizer): there the engine's own reader
//   threads read, and results settle through the hub's threadsafe function;
// - Windows: the engine's readers too. The addon's Windows build has no event-loop reader: a DLL
//   cannot leave libuv's symbols for node.exe to fill in as a Unix shared object does (only
//   Node-API is resolved at load), and a measurement of libuv's SOCKET polling under Wine would
//   not say how it does on Windows;
// - ZEROMQ_NAPI_READER=engine picks the engine's readers on Node's main thread too (to test them).
const hostHasLibuv = process.versions.bun === undefined && process.versions.deno === undefined && !('Deno' in globalThis);
// (Whether this is Node's main thread rather than a worker the addon asks libuv, src/uv_read.rs,
// rather than loading node:worker_threads and its streams and worker internals to ask.)
const readOnJsThread =
  hostHasLibuv &&
  process.platform !== 'win32' &&
  process.env.ZEROMQ_NAPI_READER !== 'engine';
// Large received frames are external Buffers over the engine's memory; where the runtime refuses
// those (a V8 memory cage, as Electron's) the addon notices and copies them instead.
// ZEROMQ_NAPI_EXTERNAL_BUFFERS=0 asks for copies from the start (to test that path).
const externalBuffers = process.env.ZEROMQ_NAPI_EXTERNAL_BUFFERS !== '0';
binding.init(settle, readOnJsThread, externalBuffers, {
  received: slab,
  receivedLayout: recvLayout,
  sent: packBytes,
  sentLengths: packLengths,
});

/**
 * Promise for pending operation `id`. With a signal, aborting cancels the native operation (the
 * engine future is dropped; the engine loses nothing it had received) and rejects with an
 * AbortError.
 * @param {number} id
 * @param {AbortSignal | undefined} signal
 * @param {object | undefined} owner
 * @param {((value: any) => unknown) | undefined} [map]  what the promise resolves to, from the value
 * @returns {Promise<any>}
 */
function wait(id, signal, owner, map) {
  return new Promise((resolve, reject) => {
    /** @type {Pending} */
    const entry = {
      resolve,
      map,
      reject,
      signal,
      onAbort: undefined,
      owner,
    };
    // The entry first: a signal may call the listener from inside addEventListener (abort then
    // finds the entry and rejects), or throw from it (the operation is then cancelled here).
    // Either way no native operation is left without a JS owner.
    pending.set(id, entry);
    if (signal === undefined) return;
    const onAbort = () => abort(id, signal);
    try {
      signal.addEventListener('abort', onAbort, { once: true });
    } catch (err) {
      if (pending.get(id) === entry) {
        pending.delete(id);
        binding.cancel(id);
      }
      reject(err);
      return;
    }
    // Only a listener that is registered is removed on settlement.
    if (pending.get(id) === entry) entry.onAbort = onAbort;
  });
}

/**
 * Cancels pending operation `id`; if it was still pending its promise rejects with an AbortError
 * (carrying `signal.reason`). Returns whether it was.
 * @param {number} id
 * @param {AbortSignal | undefined} signal
 */
function abort(id, signal) {
  if (!binding.cancel(id)) return false;
  const entry = pending.get(id);
  if (entry !== undefined) {
    pending.delete(id);
    if (entry.onAbort !== undefined && entry.signal !== undefined) {
      entry.signal.removeEventListener('abort', entry.onAbort);
    }
    entry.reject(abortError(signal));
  }
  return true;
}

/** @typedef {'req' | 'rep' | 'dealer' | 'router' | 'pub' | 'sub' | 'xpub' | 'xsub' | 'push' | 'pull' | 'pair'} NativeKind */

/** @type {any} */
const fns = binding;

// A collected NativeSocket's native socket goes (src/socket_functions.rs `socket_release`).
const released = new FinalizationRegistry((/** @type {number} */ id) => fns.socketRelease(id));

/**
 * The types whose sends `queueSend` may keep: a send of theirs that the engine has room for is
 * taken, with no error of its own (ROUTER and PUB drop rather than wait; DEALER, PUSH and PAIR
 * take what fits under their peers' high-water marks). REQ and REP sends follow a state (EFSM), and
 * an XSUB's are subscriptions: one native call each, as before.
 */
const QUEUEING_KINDS = new Set(['dealer', 'router', 'pub', 'xpub', 'push', 'pair']);

// A native socket's sends in this event-loop turn (its `turn`).
const NO_SEND = 0;
const ONE_SEND = 1;
/** A later send of the turn was made: it may have left something to flush. */
const LATER_SENDS = 2;

/**
 * A socket of the addon, by id: every method passes the id to the native function of its name. No
 * native memory is behind this object, so a method can never reach a socket that is gone: the
 * addon answers EBADF for an id it no longer has (src/liveness.rs).
 * @implements {NativeSocket}
 */
class NativeSocketById {
  /** @readonly */
  id;

  /** Its sends in this event-loop turn (see `laterInTurn`). */
  turn = NO_SEND;

  /** The `turnStamp` of its last first send of a turn (see `laterInTurn`). */
  stamp = -1;

  /**
   * How many more sends of this turn the engine takes without waiting, as it said
   * (`socketSendRoom`, asked at the turn's first queued send); -1: not asked in this turn.
   */
  room = -1;

  /** Whether its type's sends can be queued (they never wait or fail on their own: see `queueSend`). */
  #queues;

  /**
   * The fewest frames of a message it queues: 2 for a ROUTER (a routing id and a body; the
   * engine refuses less, EINVAL, which only a send of its own can report), else 1.
   */
  #minFrames;

  /** @type {SendQueue | null} this turn's queued sends (made at the first) */
  #queue = null;

  /** A REP: its replies are answers, one per request received. */
  #answers;

  /**
   * @param {NativeKind} kind
   * @param {Record<string, unknown>} options
   */
  constructor(kind, options) {
    this.id = binding.socketOpen(kind, options);
    this.#queues = QUEUEING_KINDS.has(kind);
    this.#minFrames = kind === 'router' ? 2 : 1;
    this.#answers = kind === 'rep';
    released.register(this, this.id);
  }

  /**
   * Keeps `message` (checked) for one native call at the end of this turn (`flushQueued`) when
   * the engine has room for it: then it is accepted now, as a native send taken on the spot.
   * Only for a later send of a turn (see `laterInTurn`): the first goes out at once.
   * @param {unknown} message
   * @returns {boolean} whether it was kept (its send is done)
   */
  queueSend(message) {
    if (!this.#queues) return false;
    if (this.#minFrames > 1 && !(Array.isArray(message) && message.length >= this.#minFrames)) return false;
    if (this.room < 0) this.room = fns.socketSendRoom(this.id);
    if (this.room === 0) return false;
    const queue = (this.#queue ??= new SendQueue());
    if (!queue.add(message)) return false;
    this.room--;
    if (queue.full) this.flushQueued();
    return true;
  }

  /**
   * Hands the queued sends to the engine (in order, one call) and writes them with the rest of
   * the engine's burst; whether there were any.
   */
  flushQueued() {
    const queue = this.#queue;
    if (queue === null || queue.empty) return false;
    queue.drain((bytes, layout) => fns.socketSendMany(this.id, bytes, layout));
    return true;
  }

  /** @param {string} endpoint */
  bind(endpoint) { return fns.socketBind(this.id, endpoint); }
  /** @param {string} endpoint */
  unbind(endpoint) { this.flushQueued(); return fns.socketUnbind(this.id, endpoint); }
  /** @param {string} endpoint */
  connect(endpoint) { fns.socketConnect(this.id, endpoint); }
  releaseConnects() { fns.socketReleaseConnects(this.id); }
  /** @param {string} endpoint */
  disconnect(endpoint) { this.flushQueued(); fns.socketDisconnect(this.id, endpoint); }
  /**
   * After what this turn queued (its order), and the room the engine said is then one less.
   * @param {unknown} message
   * @param {boolean} burst
   */
  send(message, burst) {
    this.flushQueued();
    this.room = -1;
    const count = packMessage(message);
    if (count < 0) return fns.socketSend(this.id, message, burst);
    return fns.socketSendPacked(this.id, count, burst);
  }
  flushSends() { fns.socketFlushSends(this.id); }
  recv() { return fns.socketRecv(this.id); }
  /**
   * @param {unknown} message
   * @param {number | undefined} timeout
   * @param {number} retries
   */
  request(message, timeout, retries) {
    const count = packMessage(message);
    if (count < 0) return fns.socketRequest(this.id, message, timeout, retries);
    return fns.socketRequestPacked(this.id, count, timeout, retries);
  }
  recvRequest() { return fns.socketRecvRequest(this.id); }
  /**
   * @param {number} token
   * @param {unknown} message
   */
  reply(token, message) {
    const count = packMessage(message);
    if (count < 0) return fns.socketReply(this.id, token, message);
    return fns.socketReplyPacked(this.id, token, count);
  }
  /** @param {number} token */
  forget(token) { fns.socketForget(this.id, token); }
  /** @param {NativeSocket} other */
  proxy(other) {
    this.flushQueued();
    other.flushQueued();
    return fns.socketProxy(this.id, other.id);
  }
  /** @param {boolean} paused */
  pauseProxy(paused) { fns.socketPauseProxy(this.id, paused); }
  /**
   * @param {Buffer} prefix
   * @param {boolean} on
   */
  subscribe(prefix, on) { fns.socketSubscribe(this.id, prefix, on); }
  close() { this.flushQueued(); fns.socketClose(this.id); }
  /** @param {Record<string, unknown>} options  (after this turn's queued sends: they were taken under the old ones) */
  setOptions(options) {
    this.flushQueued();
    this.room = -1;
    fns.socketSetOptions(this.id, options);
  }
  /** @param {(name: string, address: string, code: string | null, message: string | null, interval: number | null) => void} callback */
  watchEvents(callback) { fns.socketWatchEvents(this.id, callback); }
  /** @param {boolean} on */
  keepEventsAlive(on) { fns.socketKeepEventsAlive(this.id, on); }
  /** @param {((request: AuthRequest) => void) | null} callback */
  setAuthenticator(callback) { fns.socketSetAuthenticator(this.id, callback); }
  /** @returns {boolean} */
  answersMore() { return this.#answers && fns.socketHasMessages(this.id); }
  /** @returns {boolean} */
  get closed() { return fns.socketClosed(this.id); }
  /** @returns {boolean} */
  get readable() { return fns.socketReadable(this.id); }
  /** @returns {boolean} */
  get writable() { return fns.socketWritable(this.id); }
  /** @returns {string | null} */
  get lastEndpoint() { return fns.socketLastEndpoint(this.id) ?? null; }
}

/**
 * @param {NativeKind} kind
 * @param {Record<string, unknown>} options  all current option values (see lib/options.js)
 * @returns {NativeSocket}
 */
function createSocket(kind, options) {
  return new NativeSocketById(kind, options);
}

/**
 * Counts event-loop turns, as far as this module sees them begin: each `settle()` call is an event
 * callback of its own (the one a received message or a finished operation starts), and each
 * `endTurn` ends one. Turns begun by anything else (a timer, another library's I/O) do not count.
 */
let turnStamp = 0;

/**
 * The native sockets with later sends in this event-loop turn: the first `sentCount` slots, flushed
 * and emptied by one `process.nextTick` per such turn. One array reused turn after turn, and each
 * socket's state in its own `turn`, not a `Map`: a Map emptied every turn allocates a new table each
 * time, and in 4 KiB lockstep that promoted ~300 KiB per 1000 round trips to V8's old space
 * (__test__/memory.test.ts; ~5 KiB this way).
 * @type {(NativeSocket | undefined)[]}
 */
const sentThisTurn = [];
let sentCount = 0;

function endTurn() {
  turnStamp++;
  for (let i = 0; i < sentCount; i++) {
    const nativeSocket = /** @type {NativeSocket} */ (sentThisTurn[i]);
    sentThisTurn[i] = undefined;
    endBurst(nativeSocket);
  }
  sentCount = 0;
}

/**
 * Whether a send on `nativeSocket` is a later one of this event-loop turn: the first is written at
 * once from this thread (one message in flight stays as fast as it can be), the later ones are
 * kept in JS within the room the engine has (`queueSend`) or queued in the engine, and all are
 * written together, in one native call and one vectored write per connection, when the turn ends
 * (`SocketHandle::batch_sends`, `flushSends`, `flushQueued`). Same order, same high-water marks.
 *
 * The turn ends in a `process.nextTick` queued at its second send: that runs once the synchronous
 * code and the promise jobs it set off have run (sends in a chain of awaits included), before the
 * event loop goes on; a `setImmediate` would cost the loop an extra poll per turn. A turn with one
 * send queues nothing: the next send is a first one again if a new turn has been seen to begin
 * since (`turnStamp`), as it has in lockstep, where each receive settles in a callback of its own.
 * A new turn this module did not see begin (a timer's) takes its first send for a later one: kept
 * or queued like one and written when that turn ends, which is all a later send costs.
 * @param {NativeSocket} nativeSocket
 */
function laterInTurn(nativeSocket) {
  const turn = nativeSocket.turn;
  // Ended (and flushed) by this turn's `endTurn`, or by `endBurst` at close.
  if (turn === LATER_SENDS) return true;
  if (turn === ONE_SEND && nativeSocket.stamp === turnStamp) {
    nativeSocket.turn = LATER_SENDS;
    if (sentCount === 0) process.nextTick(endTurn);
    sentThisTurn[sentCount++] = nativeSocket;
    return true;
  }
  nativeSocket.stamp = turnStamp;
  // A REP's reply with the next request already in: the next reply follows in this turn (a
  // worker's receive of it finishes at once), so the first waits for the turn's end and both go
  // in one write, one wake-up of the peer instead of two. Lockstep has nothing queued here.
  if (nativeSocket.answersMore()) {
    nativeSocket.turn = LATER_SENDS;
    if (sentCount === 0) process.nextTick(endTurn);
    sentThisTurn[sentCount++] = nativeSocket;
    return true;
  }
  nativeSocket.turn = ONE_SEND;
  return false;
}

/**
 * Ends this turn's burst of `nativeSocket` now (before it closes): what its sends left is written.
 * (It keeps its slot in `sentThisTurn`; `endTurn` finds nothing left to flush there.)
 * @param {NativeSocket} nativeSocket
 */
function endBurst(nativeSocket) {
  const later = nativeSocket.turn === LATER_SENDS;
  nativeSocket.turn = NO_SEND;
  nativeSocket.room = -1;
  // The queued ones go in with the engine's burst, which `socketSendMany` then writes.
  if (later && !nativeSocket.flushQueued()) nativeSocket.flushSends();
}

/** Operations awaiting settlement in this thread (diagnostics). */
function pendingCount() {
  return binding.pendingCount();
}

/** Which path this thread reads and hands over received frames by (diagnostics and tests). */
function paths() {
  return binding.paths();
}

/**
 * The engine's default options in the JS layer's names (src/options.rs `option_defaults`); no
 * `routingId` (none).
 */
const optionDefaults = binding.optionDefaults();

module.exports = {
  wait,
  abort,
  unpack,
  isBatch,
  createSocket,
  laterInTurn,
  endBurst,
  pendingCount,
  paths,
  optionDefaults,
  binding,
};
