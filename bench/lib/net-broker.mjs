// The broker case's floor: the same processes and traffic over node:net with no ZeroMQ in it. The
// client process's 16 connections each keep one request in flight; a broker process forwards each
// request to the next of 4 worker processes (round robin) with the client's number in front, and
// each echo back to its client; the workers echo. Frames are a 4-byte little-endian length and the
// payload, parsed in JS (bench/lib/net-floor.mjs). Each process writes what one event-loop turn
// produced for a connection in one write (the broker flushes in `setImmediate`, the worker per
// received chunk), as ours and any batching Node program do; so this is what Node itself needs for
// the case's system calls and wake-ups, and ours/floor says what ZeroMQ on top costs.
import net from 'node:net';
import { connect, echoFrames, HEADER, listen, parseFrames } from './net-floor.mjs';

/** The client's number, in front of the payload on the broker <-> worker leg. */
const ROUTE = 4;

/** Frames queued per connection during a turn, each connection's written in one write at its end. */
class TurnWriter {
  /** @type {Map<net.Socket, Buffer[]>} */
  #queued = new Map();
  #scheduled = false;

  /** @param {net.Socket} sock @param {Buffer} frame */
  push(sock, frame) {
    const queue = this.#queued.get(sock);
    if (queue) queue.push(frame);
    else this.#queued.set(sock, [frame]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush() {
    this.#scheduled = false;
    for (const [sock, frames] of this.#queued) sock.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
    this.#queued.clear();
  }
}

/**
 * The broker (in the broker process): a frontend for the clients and a backend for the workers.
 * @returns {Promise<{ frontend: string, backend: string, close: () => void }>}
 */
export async function startNetBroker() {
  /** @type {Set<net.Socket>} */
  const open = new Set();
  /** @type {net.Socket[]} index = the client's number */
  const clients = [];
  /** @type {net.Socket[]} */
  const workers = [];
  let next = 0;
  const out = new TurnWriter();
  /** @param {net.Socket} sock @param {(bytes: Buffer, start: number, end: number) => void} onFrame */
  const framed = (sock, onFrame) => {
    open.add(sock);
    sock.setNoDelay(true);
    let pending = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      pending = parseFrames(pending, chunk, onFrame);
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => open.delete(sock));
  };
  const frontend = net.createServer((sock) => {
    const number = clients.push(sock) - 1;
    framed(sock, (bytes, start, end) => {
      if (workers.length === 0) return; // as a Dealer with no peer would hold it: the bench starts workers first
      const routed = Buffer.allocUnsafe(end - start + ROUTE);
      routed.writeUInt32LE(end - start - HEADER + ROUTE, 0);
      routed.writeUInt32LE(number, HEADER);
      bytes.copy(routed, HEADER + ROUTE, start + HEADER, end);
      out.push(workers[next++ % workers.length], routed);
    });
  });
  const backend = net.createServer((sock) => {
    workers.push(sock);
    framed(sock, (bytes, start, end) => {
      const client = clients[bytes.readUInt32LE(start + HEADER)];
      if (client === undefined) return;
      const reply = Buffer.allocUnsafe(end - start - ROUTE);
      reply.writeUInt32LE(end - start - HEADER - ROUTE, 0);
      bytes.copy(reply, HEADER, start + HEADER + ROUTE, end);
      out.push(client, reply);
    });
  });
  const [frontendAt, backendAt] = await Promise.all([listen(frontend), listen(backend)]);
  return {
    frontend: frontendAt,
    backend: backendAt,
    close() {
      for (const sock of open) sock.destroy();
      frontend.close();
      backend.close();
    },
  };
}

/**
 * A worker (in a worker process): echoes every frame, those of one received chunk in one write.
 * @param {string} backend "host:port" @returns {Promise<{ close: () => void }>}
 */
export async function startNetWorker(backend) {
  const sock = await connect(backend);
  echoFrames(sock);
  return { close: () => sock.destroy() };
}

/** @type {Map<string, net.Socket[]>} endpoint -> the client's connections, kept across batches */
const pools = new Map();

/** @param {string} endpoint @param {number} count */
async function connections(endpoint, count) {
  let pool = pools.get(endpoint);
  if (!pool) {
    pool = await Promise.all(Array.from({ length: count }, () => connect(endpoint)));
    pools.set(endpoint, pool);
  }
  return pool;
}

/**
 * `n` lockstep round trips of `size` bytes on one connection.
 * @param {net.Socket} sock @param {number} size @param {number} n @returns {Promise<void>}
 */
function lockstep(sock, size, n) {
  const request = Buffer.alloc(HEADER + size, 0xa5);
  request.writeUInt32LE(size, 0);
  return new Promise((resolve, reject) => {
    let answered = 0;
    let pending = Buffer.alloc(0);
    const onData = (/** @type {Buffer} */ chunk) => {
      pending = parseFrames(pending, chunk, (_bytes, start, end) => {
        if (end - start !== request.length) throw new Error(`bad reply: ${end - start - HEADER} bytes, sent ${size}`);
        answered++;
      });
      if (answered < n) {
        sock.write(request);
        return;
      }
      sock.off('data', onData);
      sock.off('error', reject);
      resolve();
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.write(request);
  });
}

/**
 * One batch of the floor (in the bench's client process): `conns` connections, `iters` round trips each.
 * @param {{ endpoint: string, size: number, iters: number, warmup: number, conns: number }} batch
 */
export async function netBrokerThroughput({ endpoint, size, iters, warmup, conns }) {
  const pool = await connections(endpoint, conns);
  await Promise.all(pool.map((sock) => lockstep(sock, size, warmup)));
  const t = performance.now();
  await Promise.all(pool.map((sock) => lockstep(sock, size, iters)));
  return { elapsedNs: (performance.now() - t) * 1e6, roundTrips: conns * iters };
}

/** Closes the client's connections (at the client's stop). */
export function closeNetBrokerConnections() {
  for (const pool of pools.values()) for (const sock of pool) sock.destroy();
  pools.clear();
}
