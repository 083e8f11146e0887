'use strict';
// The Majordomo broker (RFC 18 MDP/0.2 with RFC 8 MMI) on one Router for clients and workers.
//
// State: each worker is idle (in its service's LRU list of waiting workers) or busy with exactly
// one job; requests for a service with no idle worker wait in its queue (bounded). A worker that
// misses `heartbeatLiveness` heartbeats is purged; the job it held goes back to the front of the
// queue once (a worker that crashed is the common case; a request that kills every worker it
// reaches is not retried forever), unless part of its reply already reached the client.

const { Router } = require('./router.js');
const { signalOf, checkKeys } = require('./message.js');
const { closedError } = require('./errors.js');
const { splitOptions } = require('./majordomo-options.js');
const wire = require('./majordomo-wire.js');

const { W } = wire;
const RUN_KEYS = ['signal'];
const MMI_PREFIX = 'mmi.';

/**
 * @typedef {object} Job
 * @property {Buffer} client        the client's routing id
 * @property {wire.Dialect} dialect the client's dialect
 * @property {string} service
 * @property {Buffer[]} body
 * @property {number} partials      PARTIALs forwarded so far
 * @property {boolean} requeued
 */

/**
 * @typedef {object} WorkerEntry
 * @property {Buffer} id
 * @property {string} key           id as hex (Map key)
 * @property {wire.Dialect} dialect
 * @property {string} service
 * @property {number} expiresAt     ms (Date.now()) after which it is purged
 * @property {Job | undefined} job  undefined = idle
 */

/**
 * @typedef {object} Service
 * @property {Map<string, WorkerEntry>} idle  insertion order = least recently used first
 * @property {number} workers
 * @property {Job[]} queue
 */

/** @param {Buffer} id */
function keyOf(id) {
  return id.toString('hex');
}

class Broker {
  #router;
  #interval;
  #liveness;
  #queueLimit;
  /** @type {Map<string, WorkerEntry>} */
  #workers = new Map();
  /** @type {Map<string, Service>} */
  #services = new Map();
  #closed = false;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #ticker;
  /** @type {Set<() => void>} wakes running run() loops at close() */
  #running = new Set();

  /**
   * @param {unknown} [options]  heartbeatInterval (ms, default 2500), heartbeatLiveness (default 3), + Router options
   */
  constructor(options) {
    const { heartbeatInterval, heartbeatLiveness, socket } = splitOptions(
      options,
      'Broker',
      ['heartbeatInterval', 'heartbeatLiveness'],
      'router',
    );
    this.#interval = heartbeatInterval;
    this.#liveness = heartbeatLiveness;
    this.#router = new Router(socket);
    const hwm = /** @type {{ receiveHighWaterMark: number }} */ (/** @type {unknown} */ (this.#router)).receiveHighWaterMark;
    // 0 means "no limit" for a socket's high-water mark; the queue keeps that meaning.
    this.#queueLimit = hwm > 0 ? hwm : Infinity;
  }

  /** @returns {string | null} */
  get lastEndpoint() {
    return this.#router.lastEndpoint;
  }

  get closed() {
    return this.#closed;
  }

  /** The Router underneath (its events, options). */
  get socket() {
    return this.#router;
  }

  /** @returns {ReadonlyMap<string, { workers: number, queued: number }>} */
  get services() {
    /** @type {Map<string, { workers: number, queued: number }>} */
    const snapshot = new Map();
    for (const [name, service] of this.#services) {
      snapshot.set(name, Object.freeze({ workers: service.workers, queued: service.queue.length }));
    }
    return snapshot;
  }

  /**
   * @param {string} address
   * @returns {Promise<void>}
   */
  bind(address) {
    return this.#router.bind(address);
  }

  /**
   * @param {string} address
   * @returns {Promise<void>}
   */
  unbind(address) {
    return this.#router.unbind(address);
  }

  /**
   * Routes until close() or the signal; resolves then.
   * @param {{ signal?: AbortSignal }} [opts]
   * @returns {Promise<void>}
   */
  async run(opts) {
    checkKeys(opts, 'run()', RUN_KEYS);
    const signal = signalOf(opts, 'run()');
    if (this.#closed) throw closedError();
    if (signal?.aborted) return;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#running.add(onAbort);
    this.#startTicker();
    try {
      while (!this.#closed && !stop.signal.aborted) {
        let message;
        try {
          message = await this.#router.receive({ signal: stop.signal });
        } catch (err) {
          if (this.#closed || stop.signal.aborted) return;
          throw err;
        }
        this.#onMessage(message);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#running.delete(onAbort);
      if (this.#running.size === 0) this.#stopTicker();
    }
  }

  /** Immediate: the socket closes, run() resolves. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTicker();
    for (const wake of this.#running) wake();
    this.#router.close();
  }

  [Symbol.dispose]() {
    this.close();
  }

  #startTicker() {
    if (this.#ticker !== undefined) return;
    this.#ticker = setInterval(() => this.#tick(), this.#interval);
  }

  #stopTicker() {
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  /** Every heartbeatInterval: purge the silent, heartbeat the rest. */
  #tick() {
    const now = Date.now();
    for (const worker of [...this.#workers.values()]) {
      if (now > worker.expiresAt) {
        this.#toWorker(worker, W.DISCONNECT);
        this.#remove(worker, true);
      } else {
        this.#toWorker(worker, W.HEARTBEAT);
      }
    }
  }

  /** @param {Buffer[]} message */
  #onMessage(message) {
    const [sender, ...rest] = message;
    if (sender === undefined) return;
    const { dialect, frames } = wire.undelimit(rest);
    const header = frames[0];
    if (header === undefined) return;
    if (header.equals(wire.CLIENT)) this.#onClient(sender, dialect, frames);
    else if (header.equals(wire.WORKER)) this.#onWorker(sender, dialect, frames);
    // Anything else is not MDP: dropped.
  }

  /**
   * @param {Buffer} client
   * @param {wire.Dialect} dialect
   * @param {Buffer[]} frames  [MDPC02, REQUEST, service, ...body]
   */
  #onClient(client, dialect, frames) {
    if (!wire.isClientRequest(wire.commandOf(frames)) || frames.length < 3) return;
    const service = frames[2].toString('utf8');
    const body = frames.length > 3 ? frames.slice(3) : [wire.EMPTY];
    if (service.startsWith(MMI_PREFIX)) {
      this.#toClient(client, dialect, service, true, [this.#mmi(service, body)]);
      return;
    }
    const entry = this.#service(service);
    if (entry.queue.length >= this.#queueLimit) return; // full: dropped, as a socket at its HWM; the client's timeout/retry copes
    entry.queue.push({ client, dialect, service, body, partials: 0, requeued: false });
    this.#dispatch(entry);
  }

  /**
   * RFC 8: 200 when the service has a worker, 404 when not; 501 for MMI services we do not know.
   * @param {string} service
   * @param {Buffer[]} body
   */
  #mmi(service, body) {
    if (service !== 'mmi.service') return '501';
    const asked = this.#services.get(body[0].toString('utf8'));
    return asked !== undefined && asked.workers > 0 ? '200' : '404';
  }

  /**
   * @param {Buffer} id
   * @param {wire.Dialect} dialect
   * @param {Buffer[]} frames  [MDPW02, command, ...]
   */
  #onWorker(id, dialect, frames) {
    const command = wire.commandOf(frames);
    const worker = this.#workers.get(keyOf(id));
    if (worker === undefined) {
      if (command === W.READY && frames.length >= 3) this.#ready(id, dialect, frames[2].toString('utf8'));
      // Anything else from a worker we do not know (purged, or from before a restart): it must
      // start over, so it hears DISCONNECT (RFC 18) and re-registers.
      else if (command !== W.DISCONNECT) this.#send(delimitTo(id, dialect, [wire.WORKER, wire.commandFrame(W.DISCONNECT)]));
      return;
    }
    worker.expiresAt = Date.now() + this.#interval * this.#liveness;
    switch (command) {
      case W.HEARTBEAT:
        return;
      case W.PARTIAL:
      case W.FINAL:
        this.#reply(worker, command === W.FINAL, frames);
        return;
      case W.DISCONNECT:
        this.#remove(worker, false);
        return;
      default:
        // A second READY or a command a worker never sends: RFC 18 says DISCONNECT.
        this.#toWorker(worker, W.DISCONNECT);
        this.#remove(worker, false);
    }
  }

  /**
   * @param {Buffer} id
   * @param {wire.Dialect} dialect
   * @param {string} name
   */
  #ready(id, dialect, name) {
    if (name.startsWith(MMI_PREFIX)) {
      this.#send(delimitTo(id, dialect, [wire.WORKER, wire.commandFrame(W.DISCONNECT)]));
      return;
    }
    const key = keyOf(id);
    /** @type {WorkerEntry} */
    const worker = { id, key, dialect, service: name, expiresAt: Date.now() + this.#interval * this.#liveness, job: undefined };
    this.#workers.set(key, worker);
    const service = this.#service(name);
    service.workers++;
    service.idle.set(key, worker);
    this.#dispatch(service);
  }

  /**
   * @param {WorkerEntry} worker
   * @param {boolean} final
   * @param {Buffer[]} frames  [MDPW02, PARTIAL|FINAL, client, empty, ...body]
   */
  #reply(worker, final, frames) {
    const job = worker.job;
    if (job === undefined || frames.length < 4 || !frames[2].equals(job.client)) {
      // A reply for no request of ours: the worker is confused; it starts over.
      this.#toWorker(worker, W.DISCONNECT);
      this.#remove(worker, false);
      return;
    }
    const body = frames.length > 4 ? frames.slice(4) : [wire.EMPTY];
    this.#toClient(job.client, job.dialect, job.service, final, body);
    if (!final) {
      job.partials++;
      return;
    }
    worker.job = undefined;
    const service = this.#service(worker.service);
    service.idle.set(worker.key, worker);
    this.#dispatch(service);
  }

  /**
   * @param {WorkerEntry} worker
   * @param {boolean} died  purged for silence (its job may go to another worker) rather than gone by its own word
   */
  #remove(worker, died) {
    this.#workers.delete(worker.key);
    const service = this.#services.get(worker.service);
    if (service === undefined) return;
    service.workers--;
    service.idle.delete(worker.key);
    const job = worker.job;
    if (died && job !== undefined && !job.requeued && job.partials === 0) {
      job.requeued = true;
      service.queue.unshift(job);
      this.#dispatch(service);
    }
    if (service.workers === 0 && service.queue.length === 0) this.#services.delete(worker.service);
  }

  /** @param {string} name */
  #service(name) {
    let service = this.#services.get(name);
    if (service === undefined) {
      service = { idle: new Map(), workers: 0, queue: [] };
      this.#services.set(name, service);
    }
    return service;
  }

  /** @param {Service} service */
  #dispatch(service) {
    while (service.queue.length > 0 && service.idle.size > 0) {
      const job = /** @type {Job} */ (service.queue.shift());
      const [key, worker] = /** @type {[string, WorkerEntry]} */ (service.idle.entries().next().value);
      service.idle.delete(key);
      worker.job = job;
      this.#toWorker(worker, W.REQUEST, [job.client, wire.EMPTY, ...job.body]);
    }
  }

  /**
   * @param {WorkerEntry} worker
   * @param {number} command
   * @param {Buffer[]} [rest]
   */
  #toWorker(worker, command, rest = []) {
    this.#send(delimitTo(worker.id, worker.dialect, [wire.WORKER, wire.commandFrame(command), ...rest]));
  }

  /**
   * @param {Buffer} client
   * @param {wire.Dialect} dialect
   * @param {string} service
   * @param {boolean} final
   * @param {Array<Buffer | string>} body
   */
  #toClient(client, dialect, service, final, body) {
    const codes = wire.C[dialect];
    const command = wire.commandFrame(final ? codes.FINAL : codes.PARTIAL);
    const frames = dialect === 'bare' ? [wire.CLIENT, command, service, ...body] : [wire.CLIENT, command, ...body];
    this.#send(delimitTo(client, dialect, frames));
  }

  /** @param {Array<Buffer | string>} message */
  #send(message) {
    if (this.#closed) return;
    // Not awaited: a peer that is gone just loses the message (a Router drops it, as libzmq does);
    // the client's retry and the heartbeats deal with what that loses.
    this.#router.send(message).catch(ignore);
  }
}

/**
 * @param {Buffer} id
 * @param {wire.Dialect} dialect
 * @param {Array<Buffer | string>} frames
 */
function delimitTo(id, dialect, frames) {
  return [id, ...wire.delimit(dialect, frames)];
}

function ignore() {}

module.exports = { Broker };
