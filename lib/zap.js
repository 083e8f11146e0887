'use strict';
// ZAP (RFC 27), as libzmq does it: a socket bound at `inproc://zeromq.zap.01` in this thread is the
// ZAP handler, and a security server (`plainServer`, `curveServer`, or a `zapDomain`) with no
// `authenticate` of its own asks it about each new connection. Without a handler every peer that
// completes its handshake is accepted (libzmq >= 4.3). zeromq.js code that implements a ZAP
// handler on a Router (or Reply) works unchanged; `authenticate` is this package's direct way.
//
// The questions go out through one Dealer connected to the handler, made when the first is asked:
// [empty, "1.0", request id, domain, address, identity, mechanism, ...credentials]; the answer
// [empty, "1.0", request id, status code, status text, user id, metadata] accepts the peer when the
// status code is "200", refuses it otherwise (a malformed answer refuses too).

const ENDPOINT = 'inproc://zeromq.zap.01';
const VERSION = '1.0';

/**
 * The handler socket of this thread, and the client asking it (made on first use).
 * @typedef {object} Client
 * @property {import('./dealer.js').Dealer} dealer
 * @property {Map<string, (allowed: boolean) => void>} pending  request id -> decision
 * @property {boolean} reading
 */

/** @type {object | null} the socket bound at ENDPOINT */
let handler = null;
/** @type {Client | null} */
let client = null;
let nextId = 0;

/**
 * A bind of `socket` at `address` succeeded.
 * @param {object} socket
 * @param {string} address
 */
function bound(socket, address) {
  if (address !== ENDPOINT) return;
  if (handler !== socket) endClient();
  handler = socket;
}

/**
 * `socket` no longer serves `address` (unbind), or anything (close, `address` undefined).
 * @param {object} socket
 * @param {string | undefined} address
 */
function unbound(socket, address) {
  if (handler !== socket || (address !== undefined && address !== ENDPOINT)) return;
  handler = null;
  endClient();
}

/** Refuses what is still waiting and lets the client go. */
function endClient() {
  const ending = client;
  if (ending === null) return;
  client = null;
  for (const decide of ending.pending.values()) decide(false);
  ending.pending.clear();
  ending.dealer.close();
}

/** @returns {Client} */
function connectedClient() {
  if (client !== null) return client;
  // Here, not at the top: dealer.js -> socket.js -> security.js -> zap.js.
  const { Dealer } = require('./dealer.js');
  const dealer = new Dealer({ linger: 0 });
  dealer.connect(ENDPOINT);
  client = { dealer, pending: new Map(), reading: false };
  return client;
}

/**
 * Reads answers while questions wait (only then: an idle client keeps no receive pending, which
 * would keep the process alive).
 * @param {Client} c
 */
async function readAnswers(c) {
  if (c.reading) return;
  c.reading = true;
  try {
    while (c.pending.size > 0 && client === c) {
      const answer = await c.dealer.receive();
      const [, version, id, status] = answer;
      // An answer that names no waiting request (malformed) is taken as the oldest one's: the
      // handler answers in order, and a malformed answer refuses (libzmq: a ZAP protocol error).
      let key = String(id);
      if (!c.pending.has(key)) {
        const oldest = c.pending.keys().next();
        if (oldest.done === true) continue;
        key = oldest.value;
      }
      const decide = /** @type {(allowed: boolean) => void} */ (c.pending.get(key));
      c.pending.delete(key);
      decide(answer.length >= 7 && String(version) === VERSION && String(id) === key && String(status) === '200');
    }
  } catch {
    // The client was closed (the handler went): endClient has refused what waited.
  } finally {
    c.reading = false;
  }
}

/**
 * The remote address as ZAP names it: the IP address alone ('' for ipc and inproc).
 * @param {string} address  e.g. 'tcp://127.0.0.1:51234', 'tcp://[::1]:5000'
 */
function zapAddress(address) {
  const match = /^tcp:\/\/\[?([^\]]*?)\]?:\d+$/.exec(address);
  return match === null ? '' : match[1];
}

const Z85_CHARS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/**
 * The 32 bytes of a 40-character Z85 key (checked by the engine when it was handed over).
 * @param {string} z85
 */
function z85Decode(z85) {
  const out = Buffer.alloc((z85.length / 5) * 4);
  for (let i = 0; i < z85.length; i += 5) {
    let value = 0;
    for (let j = 0; j < 5; j++) value = value * 85 + Z85_CHARS.indexOf(z85[i + j]);
    out.writeUInt32BE(value >>> 0, (i / 5) * 4);
  }
  return out;
}

/**
 * The credentials frames of ZAP for a peer.
 * @param {import('./security.js').AuthenticatePeer} peer
 * @returns {Buffer[]}
 */
function credentials(peer) {
  if (peer.mechanism === 'PLAIN') return [peer.usernameBytes ?? Buffer.alloc(0), peer.passwordBytes ?? Buffer.alloc(0)];
  if (peer.mechanism === 'CURVE' && peer.publicKey !== undefined) return [z85Decode(peer.publicKey)];
  return [];
}

/**
 * Whether the ZAP handler accepts `peer` (true when there is none, or for a NULL peer of a
 * socket without a ZAP domain, as libzmq asks none then).
 * @param {import('./security.js').AuthenticatePeer} peer
 * @param {string} domain
 * @returns {boolean | Promise<boolean>}
 */
function authenticate(peer, domain) {
  if (handler === null || (peer.mechanism === 'NULL' && domain === '')) return true;
  const c = connectedClient();
  const id = String(++nextId);
  return new Promise((resolve) => {
    c.pending.set(id, resolve);
    const question = ['', VERSION, id, domain, zapAddress(peer.address), peer.routingId ?? '', peer.mechanism, ...credentials(peer)];
    c.dealer.send(question).then(
      () => readAnswers(c),
      () => {
        c.pending.delete(id);
        resolve(false);
      },
    );
  });
}

/**
 * Whether a socket with these options asks the ZAP handler (when it has no `authenticate`).
 * @param {Record<string, unknown>} values
 */
function applies(values) {
  return values.plainServer === true || values.curveServer === true || domainOf(values) !== '';
}

/** @param {Record<string, unknown>} values */
function domainOf(values) {
  return typeof values.zapDomain === 'string' ? values.zapDomain : '';
}

module.exports = { ENDPOINT, bound, unbound, authenticate, applies, domainOf };
