'use strict';
// The Majordomo worker (RFC 18 MDP/Worker 0.2).
//
// serve() runs `concurrency` sessions; each is one MDP worker (MDP gives a worker one request at
// a time) with its own Dealer. A session registers (READY), heartbeats while idle and busy, and
// starts over on a new Dealer (a new identity: the broker's state for the old one is stale) when
// the broker says DISCONNECT, when its heartbeats stop while we are idle (a busy worker is not
// heartbeated by every broker: majortomo's is not), when the connection drops, or after a handler
// failed (the broker still holds us busy with that request; only a new registration frees us).

const { Dealer } = require('./dealer.js');
const { checkMessage, plainMessage } = require('./message.js');
const { closedError, typeError, describe } = require('./errors.js');
const { serveOptions, report, drainWaiter } = require('./reply.js');
const { splitOptions } = require('./majordomo-options.js');
const wire = require('./majordomo-wire.js');

const { W } = wire;

/**
 * @typedef {object} SessionConfig
 * @property {string} service
 * @property {number} interval
 * @property {number} liveness
 * @property {Record<string, unknown>} socketOptions
 * @property {readonly string[]} endpoints   (live: connect() adds to it)
 * @property {(request: Buffer[]) => unknown} handler
 * @property {((error: unknown, request: Buffer[]) => void) | undefined} onError
 */

function ignore() {}

/**
 * The iterator of a streamed reply: the handler returned an async generator (or any async
 * iterable), or a sync generator; each value is a PARTIAL. Arrays and strings are messages, not
 * streams.
 * @param {unknown} value
 * @returns {AsyncIterator<unknown, unknown> | Iterator<unknown, unknown> | undefined}
 */
function replyIterator(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = /** @type {{ next?: unknown, [Symbol.asyncIterator]?: () => AsyncIterator<unknown, unknown>, [Symbol.iterator]?: unknown }} */ (value);
  const asyncIterator = v[Symbol.asyncIterator];
  if (typeof asyncIterator === 'function') return asyncIterator.call(value);
  if (typeof v.next === 'function' && typeof v[Symbol.iterator] === 'function') return /** @type {Iterator<unknown, unknown>} */ (value);
  return undefined;
}

/**
 * @param {unknown} message  (passed checkMessage)
 * @returns {Array<Buffer | string | null | ArrayBufferView | ArrayBuffer>}
 */
function framesOf(message) {
  return Array.isArray(message) ? plainMessage(message) : [/** @type {Buffer} */ (message)];
}

/** One MDP worker: a loop of connections, each a fresh Dealer. */
class Session {
  #config;
  /** no new request: finish the one in hand, say DISCONNECT, end */
  #draining = false;
  /** end now, whatever is in hand */
  #killed = false;
  /** @type {Dealer | undefined} */
  #dealer;
  /** @type {AbortController} aborted to end the current connection (or the wait before the next) */
  #wake = new AbortController();
  #busy = false;

  /** @param {SessionConfig} config */
  constructor(config) {
    this.#config = config;
  }

  /** @param {string} address */
  connect(address) {
    this.#dealer?.connect(address);
  }

  /** Graceful: stop taking requests, finish the one in hand. */
  drain() {
    this.#draining = true;
    if (!this.#busy) this.#wake.abort();
  }

  /**
   * Immediate. An idle session says DISCONNECT as it goes (the broker forgets it now instead of at
   * the purge); a busy one does not, so the broker's purge hands its request to another worker.
   */
  kill() {
    this.#draining = true;
    this.#killed = true;
    this.#wake.abort();
    const dealer = this.#dealer;
    if (dealer === undefined || dealer.closed) return;
    if (!this.#busy) dealer.send(wire.delimit('delimited', [wire.WORKER, wire.commandFrame(W.DISCONNECT)])).catch(ignore);
    dealer.close();
  }

  async run() {
    while (!this.#draining) {
      this.#wake = new AbortController();
      const reconnectAfter = await this.#connection();
      if (this.#draining) return;
      this.#wake = new AbortController();
      await pause(reconnectAfter, this.#wake.signal);
    }
  }

  /**
   * One registration, on a new Dealer, until it goes stale or the session ends.
   * @returns {Promise<number>} ms to wait before the next one
   */
  async #connection() {
    const { service, interval, liveness, socketOptions, endpoints } = this.#config;
    const dealer = new Dealer(socketOptions);
    this.#dealer = dealer;
    const wake = this.#wake;
    const stale = () => wake.abort();
    dealer.events.on('disconnect', stale);
    for (const address of endpoints) dealer.connect(address);
    const send = (/** @type {number} */ command, /** @type {Array<Buffer | string>} */ rest = []) =>
      dealer.send(wire.delimit('delimited', [wire.WORKER, wire.commandFrame(command), ...rest]), { signal: wake.signal });
    send(W.READY, [service]).catch(ignore);
    let lastSeen = Date.now();
    let heartbeatPending = false;
    /** we leave by our own choice (drain, a failed handler), not because the broker went */
    let leaving = false;
    const ticker = setInterval(() => {
      if (!this.#busy && Date.now() - lastSeen > interval * liveness) stale();
      if (heartbeatPending) return; // not connected: no pile of heartbeats behind it
      heartbeatPending = true;
      send(W.HEARTBEAT).then(
        () => (heartbeatPending = false),
        () => (heartbeatPending = false),
      );
    }, interval);
    try {
      while (!wake.signal.aborted && !this.#draining) {
        let message;
        try {
          message = await dealer.receive({ signal: wake.signal });
        } catch {
          break; // stale, drained, killed, or closed
        }
        lastSeen = Date.now();
        const { frames } = wire.undelimit(message);
        if (frames.length < 2 || !frames[0].equals(wire.WORKER)) continue;
        const command = wire.commandOf(frames);
        if (command === W.DISCONNECT) break;
        if (command !== W.REQUEST || frames.length < 4) continue;
        this.#busy = true;
        const answered = await this.#handle(send, frames[2], frames.length > 4 ? frames.slice(4) : [wire.EMPTY]);
        this.#busy = false;
        lastSeen = Date.now();
        if (!answered) {
          leaving = true;
          break;
        }
      }
      if (this.#draining) leaving = true;
    } finally {
      clearInterval(ticker);
      dealer.events.off('disconnect', stale);
      // Leaving by our own choice: the broker hears it now rather than after our heartbeats stop.
      // The socket's linger delivers it (and a FINAL just sent).
      if (leaving && !this.#killed && !dealer.closed) {
        dealer.send(wire.delimit('delimited', [wire.WORKER, wire.commandFrame(W.DISCONNECT)])).catch(ignore);
      }
      dealer.close();
      if (this.#dealer === dealer) this.#dealer = undefined;
    }
    return /** @type {number} */ (/** @type {{ reconnectInterval: number }} */ (/** @type {unknown} */ (dealer)).reconnectInterval);
  }

  /**
   * Runs the handler on one request and sends its PARTIALs and FINAL.
   * @param {(command: number, rest: Array<Buffer | string>) => Promise<void>} send
   * @param {Buffer} client
   * @param {Buffer[]} body
   * @returns {Promise<boolean>} false when the handler failed (the request stays unanswered)
   */
  async #handle(send, client, body) {
    const { handler, onError } = this.#config;
    /** @param {number} command @param {unknown} reply */
    const reply = (command, reply) => send(command, [client, wire.EMPTY, .../** @type {Buffer[]} */ (framesOf(reply))]);
    const gone = this.#wake.signal;
    let final;
    /** @type {ReturnType<typeof replyIterator>} */
    let parts;
    try {
      const result = handler(body);
      parts = replyIterator(result);
      if (parts !== undefined) {
        let step = await parts.next();
        while (!step.done) {
          checkMessage(step.value, 'Worker handler yield');
          await reply(W.PARTIAL, step.value);
          step = await parts.next();
        }
        final = step.value === undefined ? null : step.value;
      } else {
        final = await result;
      }
      checkMessage(final, 'Worker handler result');
    } catch (err) {
      // A PARTIAL that could not go out because the connection went (or close()) is not the
      // handler's failure; the stream it was reading from is told to stop either way.
      if (!this.#killed && !gone.aborted) report(err, body, onError);
      const stopping = parts;
      Promise.resolve()
        .then(() => stopping?.return?.(undefined))
        .catch(ignore);
      return false;
    }
    try {
      await reply(W.FINAL, final);
    } catch {
      // The connection went (or close()): the client's retry deals with it.
    }
    return true;
  }
}

/**
 * @param {number} ms
 * @param {AbortSignal} signal
 */
function pause(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', done);
      resolve(undefined);
    }, ms);
    const done = () => {
      clearTimeout(timer);
      resolve(undefined);
    };
    signal.addEventListener('abort', done, { once: true });
  });
}

class Worker {
  #service;
  #interval;
  #liveness;
  #socketOptions;
  /** @type {string[]} */
  #endpoints = [];
  /** @type {Set<Session>} */
  #sessions = new Set();
  #closed = false;

  /**
   * @param {string} service
   * @param {unknown} [options]  heartbeatInterval (ms, default 2500), heartbeatLiveness (default 3), + Dealer options
   */
  constructor(service, options) {
    if (typeof service !== 'string' || service.length === 0) {
      throw typeError(`Worker service must be a non-empty string, got ${describe(service)}`);
    }
    const { heartbeatInterval, heartbeatLiveness, socket } = splitOptions(
      options,
      'Worker',
      ['heartbeatInterval', 'heartbeatLiveness'],
      'dealer',
    );
    this.#service = service;
    this.#interval = heartbeatInterval;
    this.#liveness = heartbeatLiveness;
    this.#socketOptions = socket;
  }

  get service() {
    return this.#service;
  }

  get closed() {
    return this.#closed;
  }

  /** @param {string} address */
  connect(address) {
    if (typeof address !== 'string') {
      throw typeError(`connect() address must be a string such as "tcp://127.0.0.1:5555", got ${describe(address)}`);
    }
    if (this.#closed) throw closedError();
    this.#endpoints.push(address);
    for (const session of this.#sessions) session.connect(address);
  }

  /**
   * @param {(request: Buffer[]) => unknown} handler
   * @param {{ concurrency?: number, signal?: AbortSignal, drainTimeout?: number, onError?: (error: unknown, request: Buffer[]) => void }} [opts]
   * @returns {Promise<void>}
   */
  async serve(handler, opts) {
    if (typeof handler !== 'function') throw typeError(`serve() handler must be a function, got ${describe(handler)}`);
    const { concurrency, signal, onError, drainTimeout } = serveOptions(opts);
    if (signal?.aborted) return;
    if (this.#closed) throw closedError();
    /** @type {SessionConfig} */
    const config = {
      service: this.#service,
      interval: this.#interval,
      liveness: this.#liveness,
      socketOptions: this.#socketOptions,
      endpoints: this.#endpoints,
      handler,
      onError,
    };
    const sessions = Array.from({ length: concurrency }, () => new Session(config));
    for (const session of sessions) this.#sessions.add(session);
    /** @type {ReturnType<typeof drainWaiter> | undefined} */
    let drain;
    const onAbort = () => {
      for (const session of sessions) session.drain();
      drain = drainWaiter(drainTimeout);
      drain.done.then(() => {
        for (const session of sessions) session.kill();
      });
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.all(sessions.map((session) => session.run()));
    } finally {
      signal?.removeEventListener('abort', onAbort);
      drain?.wake();
      for (const session of sessions) this.#sessions.delete(session);
    }
  }

  /** Immediate: every session's socket closes, serve() resolves. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    for (const session of this.#sessions) session.kill();
  }

  [Symbol.dispose]() {
    this.close();
  }
}

module.exports = { Worker };
