// The pipelined case's floor: what Node itself moves over node:net with the same window of
// messages in flight, each a 4-byte little-endian length and its payload, framed and parsed in
// JS. No ZeroMQ at all: the echo server parses every frame and writes it back; the client keeps at
// most `window` frames unanswered and counts the echoes it parses. Writes go out one per turn
// (each turn's frames in one Buffer), as any Node program streaming small messages does.
import net from 'node:net';

export const HEADER = 4;

/**
 * Calls `onFrame(chunk, start, end)` for each whole frame (header included) in the bytes
 * received so far; returns the bytes of a frame not yet whole, to be prepended to the next chunk.
 * @param {Buffer} pending @param {Buffer} chunk
 * @param {(bytes: Buffer, start: number, end: number) => void} onFrame
 * @returns {Buffer}
 */
export function parseFrames(pending, chunk, onFrame) {
  const bytes = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
  let at = 0;
  while (bytes.length - at >= HEADER) {
    const end = at + HEADER + bytes.readUInt32LE(at);
    if (end > bytes.length) break;
    onFrame(bytes, at, end);
    at = end;
  }
  return bytes.subarray(at);
}

/** Listens on an ephemeral loopback port. @param {net.Server} server @returns {Promise<string>} "host:port" */
export async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {net.AddressInfo} */ (server.address());
  return `127.0.0.1:${address.port}`;
}

/** A connection with TCP_NODELAY, once it is up. @param {string} endpoint "host:port" @returns {Promise<net.Socket>} */
export async function connect(endpoint) {
  const [host, port] = endpoint.split(':');
  const sock = net.connect({ host, port: Number(port), noDelay: true });
  await new Promise((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  return sock;
}

/**
 * Writes every frame `sock` receives back to it, the echoes of one received chunk in one write.
 * @param {net.Socket} sock
 */
export function echoFrames(sock) {
  let pending = Buffer.alloc(0);
  sock.on('data', (chunk) => {
    /** @type {Buffer[]} */
    const echoes = [];
    pending = parseFrames(pending, chunk, (bytes, start, end) => echoes.push(bytes.subarray(start, end)));
    if (echoes.length > 0) sock.write(echoes.length === 1 ? echoes[0] : Buffer.concat(echoes));
  });
  sock.on('error', () => sock.destroy());
}

/**
 * The echo server (in the bench's server process): every frame back to its sender, the echoes of
 * one received chunk in one write.
 * @returns {Promise<{ endpoint: string, close: () => void }>} endpoint "127.0.0.1:port"
 */
export async function startNetEcho() {
  /** @type {Set<net.Socket>} */
  const open = new Set();
  const server = net.createServer((sock) => {
    open.add(sock);
    sock.setNoDelay(true);
    echoFrames(sock);
    sock.on('close', () => open.delete(sock));
  });
  const endpoint = await listen(server);
  return {
    endpoint,
    close() {
      for (const sock of open) sock.destroy();
      server.close();
    },
  };
}

/** @type {Map<string, net.Socket>} endpoint -> the client's connection, kept across batches */
const connections = new Map();

/** @param {string} endpoint "host:port" @returns {Promise<net.Socket>} */
async function connection(endpoint) {
  const known = connections.get(endpoint);
  if (known) return known;
  const sock = await connect(endpoint);
  connections.set(endpoint, sock);
  return sock;
}

/**
 * `n` frames of `size` bytes, at most `window` unanswered at any time.
 * @param {net.Socket} sock @param {number} size @param {number} n @param {number} window
 * @returns {Promise<void>}
 */
function pipelined(sock, size, n, window) {
  const frameLength = HEADER + size;
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = 0;
    let pending = Buffer.alloc(0);
    const sendWhatFits = () => {
      const k = Math.min(window - (sent - received), n - sent);
      if (k <= 0) return;
      const out = Buffer.allocUnsafe(k * frameLength);
      for (let i = 0; i < k; i++) {
        const at = i * frameLength;
        out.writeUInt32LE(size, at);
        out.fill(0xa5, at + HEADER, at + frameLength);
      }
      sent += k;
      sock.write(out);
    };
    const onData = (/** @type {Buffer} */ chunk) => {
      pending = parseFrames(pending, chunk, (bytes, start, end) => {
        if (end - start !== frameLength) throw new Error(`bad echo: ${end - start - HEADER} bytes, sent ${size}`);
        received++;
      });
      if (received === n) {
        sock.off('data', onData);
        sock.off('error', reject);
        resolve();
      } else {
        sendWhatFits();
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sendWhatFits();
  });
}

/**
 * One batch of the floor (in the bench's client process).
 * @param {{ endpoint: string, size: number, iters: number, warmup: number, window?: number }} batch
 */
export async function netPipeline({ endpoint, size, iters, warmup, window = 1000 }) {
  const sock = await connection(endpoint);
  await pipelined(sock, size, warmup, window);
  const t = performance.now();
  await pipelined(sock, size, iters, window);
  return { elapsedNs: (performance.now() - t) * 1e6, roundTrips: iters };
}

/** Closes the client's connections (at the client's stop). */
export function closeNetConnections() {
  for (const sock of connections.values()) sock.destroy();
  connections.clear();
}
