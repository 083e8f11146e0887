'use strict';
// The Majordomo client (RFC 18 MDP/Client 0.2).
//
// MDP replies carry no request id, so concurrent requests cannot share a socket: each attempt
// has a Dealer of its own, taken from a pool of idle ones and given back after its FINAL. An
// attempt that times out or is aborted closes its Dealer instead (RFC 18's recommended recovery,
// the Lazy Pirate's): a late reply to it is addressed to a connection that no longer exists and
// the broker's Router drops it, so it can never be taken for another request's reply.

const { Dealer } = require('./dealer.js');
const { checkMessage, plainMessage, copyMessage, signalOf, checkKeys } = require('./message.js');
const { zmqError, closedError, cancelledByClose, abortError, typeError, describe } = require('./errors.js');
const { splitOptions } = require('./majordomo-options.js');
const wire = require('./majordomo-wire.js');

const CALL_KEYS = ['timeout', 'retries', 'signal'];
const MAX_U32 = 0xffffffff;
/** Idle Dealers kept for reuse; beyond this a finished attempt's Dealer is closed. */
const POOL_LIMIT = 64;

/** Why an attempt ended without its FINAL. */
const TIMED_OUT = Symbol('timed out');

/**
 * @param {unknown} opts
 * @param {number} defaultTimeout
 * @param {string} method
 */
function callOptions(opts, defaultTimeout, method) {
  checkKeys(opts, method, CALL_KEYS);
  const signal = signalOf(opts, method);
  const o = /** @type {{ timeout?: unknown, retries?: unknown }} */ (opts ?? {});
  let timeout = defaultTimeout;
  if (o.timeout !== undefined) {
    if (typeof o.timeout !== 'number' || !Number.isInteger(o.timeout)) {
      throw typeError(`${method} option "timeout" must be an integer number of ms, got ${describe(o.timeout)}`);
    }
    if (o.timeout < -1 || o.timeout > 0x7fffffff) {
      throw typeError(`${method} option "timeout" must be -1 (no limit) or between 0 and ${0x7fffffff}, got ${o.timeout}`, 'ERR_OUT_OF_RANGE');
    }
    timeout = o.timeout;
  }
  let retries = 0;
  if (o.retries !== undefined) {
    if (typeof o.retries !== 'number' || !Number.isInteger(o.retries)) {
      throw typeError(`${method} option "retries" must be an integer, got ${describe(o.retries)}`);
    }
    if (o.retries < 0 || o.retries > MAX_U32) {
      throw typeError(`${method} option "retries" must be between 0 and ${MAX_U32}, got ${o.retries}`, 'ERR_OUT_OF_RANGE');
    }
    retries = o.retries;
  }
  return { timeout, retries, signal };
}

/**
 * @param {unknown} service
 * @param {string} method
 */
function checkService(service, method) {
  if (typeof service !== 'string' || service.length === 0) {
    throw typeError(`${method} service must be a non-empty string, got ${describe(service)}`);
  }
}

class Client {
  #socketOptions;
  /** attempt timeout when the call gives none: the socket option receiveTimeout, as Request does */
  #defaultTimeout;
  /** @type {string[]} */
  #endpoints = [];
  /** @type {Dealer[]} */
  #idle = [];
  /** @type {Set<Dealer>} Dealers of attempts in flight */
  #busy = new Set();
  #closed = false;

  /** @param {unknown} [options]  Dealer options */
  constructor(options) {
    const { socket } = splitOptions(options, 'Client', [], 'dealer');
    // An attempt is bounded by our own timer (which closes its Dealer); the socket waits forever.
    const receiveTimeout = socket.receiveTimeout;
    this.#defaultTimeout = typeof receiveTimeout === 'number' ? receiveTimeout : -1;
    delete socket.receiveTimeout;
    this.#socketOptions = socket;
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
    // One Dealer is made now (connecting early saves the first request the wait) and tries the
    // address first, so a bad one throws here and is not remembered.
    if (this.#idle.length === 0 && this.#busy.size === 0) this.#idle.push(this.#take(false));
    const [first, ...others] = [...this.#idle, ...this.#busy];
    first.connect(address);
    this.#endpoints.push(address);
    for (const other of others) other.connect(address);
  }

  /**
   * Sends `message` to `service` and resolves to the FINAL reply (PARTIALs are skipped).
   * @param {string} service
   * @param {unknown} message
   * @param {{ timeout?: number, retries?: number, signal?: AbortSignal }} [opts]
   * @returns {Promise<Buffer[]>}
   */
  async request(service, message, opts) {
    for await (const part of this.#exchange(service, message, opts, 'request()')) {
      if (part.final) return part.body;
    }
    // #exchange always ends with a FINAL or throws.
    throw zmqError('EAGAIN', 'no reply');
  }

  /**
   * Sends `message` to `service` and yields each PARTIAL reply, then the FINAL one.
   * @param {string} service
   * @param {unknown} message
   * @param {{ timeout?: number, retries?: number, signal?: AbortSignal }} [opts]
   * @returns {AsyncGenerator<Buffer[], void, undefined>}
   */
  async *stream(service, message, opts) {
    for await (const part of this.#exchange(service, message, opts, 'stream()')) yield part.body;
  }

  /** Immediate: requests in flight reject EAGAIN, later ones EBADF. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    for (const dealer of [...this.#idle, ...this.#busy]) dealer.close();
    this.#idle = [];
    this.#busy.clear();
  }

  [Symbol.dispose]() {
    this.close();
  }

  /**
   * The attempts of one call: a retry only while nothing of the reply has been yielded (a stream
   * half delivered cannot be restarted without repeating parts).
   * @param {unknown} service
   * @param {unknown} message
   * @param {unknown} opts
   * @param {string} method
   * @returns {AsyncGenerator<{ final: boolean, body: Buffer[] }, void, undefined>}
   */
  async *#exchange(service, message, opts, method) {
    checkService(service, method);
    checkMessage(message);
    const { timeout, retries, signal } = callOptions(opts, this.#defaultTimeout, method);
    if (signal?.aborted) throw abortError(signal);
    if (this.#closed) throw closedError();
    // Taken now: the caller's buffers are theirs again once the call returned (API.md, Messages),
    // and a retry resends these bytes.
    const request = [wire.EMPTY, wire.CLIENT, wire.commandFrame(wire.C.delimited.REQUEST), /** @type {string} */ (service), ...toFrames(copyMessage(plainMessage(message)))];
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw cancelledByClose();
      const dealer = this.#take(true);
      let yielded = false;
      let finished = false;
      try {
        for await (const part of attempt1(dealer, request, timeout, signal)) {
          yielded = true;
          if (part.final) finished = true;
          yield part;
          if (finished) return;
        }
      } catch (err) {
        if (err !== TIMED_OUT) {
          if (signal?.aborted) throw abortError(signal);
          if (this.#closed) throw cancelledByClose();
          throw err;
        }
        if (yielded || attempt >= retries) {
          throw zmqError('EAGAIN', `no reply from service "${service}" after ${attempt + 1} attempt(s) of ${timeout} ms`);
        }
      } finally {
        if (finished) this.#give(dealer);
        else this.#discard(dealer);
      }
    }
  }

  /**
   * A Dealer for one attempt: an idle one, or a new one connected to every endpoint.
   * @param {boolean} busy  counts as in flight (false: it goes to the pool)
   */
  #take(busy) {
    let dealer = this.#idle.pop();
    if (dealer === undefined) {
      dealer = new Dealer(this.#socketOptions);
      for (const address of this.#endpoints) dealer.connect(address);
    }
    if (busy) this.#busy.add(dealer);
    return dealer;
  }

  /** @param {Dealer} dealer */
  #give(dealer) {
    this.#busy.delete(dealer);
    if (this.#closed || this.#idle.length >= POOL_LIMIT) dealer.close();
    else this.#idle.push(dealer);
  }

  /** @param {Dealer} dealer */
  #discard(dealer) {
    this.#busy.delete(dealer);
    // linger 0: the abandoned request need not reach the broker any more.
    /** @type {{ linger: number }} */ (/** @type {unknown} */ (dealer)).linger = 0;
    dealer.close();
  }
}

/**
 * @param {unknown} message  (copied, plain)
 * @returns {Array<Buffer | string | null | ArrayBufferView | ArrayBuffer>}
 */
function toFrames(message) {
  return Array.isArray(message) ? message : [/** @type {Buffer} */ (message)];
}

/**
 * One attempt on one Dealer: send, then the replies until the FINAL. Throws TIMED_OUT when
 * `timeout` ms pass without the next part (the send's wait for a connection included).
 * @param {Dealer} dealer
 * @param {Array<Buffer | string | null | ArrayBufferView | ArrayBuffer>} request
 * @param {number} timeout
 * @param {AbortSignal | undefined} signal
 * @returns {AsyncGenerator<{ final: boolean, body: Buffer[] }, void, undefined>}
 */
async function* attempt1(dealer, request, timeout, signal) {
  const stop = new AbortController();
  let timedOut = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const arm = () => {
    if (timer !== undefined) clearTimeout(timer);
    if (timeout >= 0) {
      timer = setTimeout(() => {
        timedOut = true;
        stop.abort();
      }, timeout);
    }
  };
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    arm();
    try {
      await dealer.send(request, { signal: stop.signal });
      for (;;) {
        const reply = wire.parseClientReply(await dealer.receive({ signal: stop.signal }));
        if (reply === undefined) continue; // not MDP: ignored
        if (reply.final) {
          yield reply;
          return;
        }
        if (timer !== undefined) clearTimeout(timer);
        yield reply;
        // The wait for the next part starts when the caller asks for it.
        arm();
      }
    } catch (err) {
      if (timedOut) throw TIMED_OUT;
      throw err;
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

module.exports = { Client };
