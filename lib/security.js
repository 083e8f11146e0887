'use strict';
// CURVE keys and the `authenticate` option (see API.md, Security). The primitives are the
// engine's: this file only checks what JS hands over and answers the engine's questions.

const { types } = require('node:util');
const { binding } = require('./native.js');
const { typeError, describe } = require('./errors.js');
const zap = require('./zap.js');

/**
 * A new CURVE key pair, each key 40 characters of Z85.
 * @returns {{ publicKey: string, secretKey: string }}
 */
function curveKeyPair() {
  const { publicKey, secretKey } = binding.curveKeyPair();
  return { publicKey, secretKey };
}

/**
 * A key option's value as stored (and read back): 40 characters of Z85, or null.
 * @param {string} name
 * @param {unknown} value
 * @returns {string | null}
 */
function checkKey(name, value) {
  if (value === null) return null;
  /** @type {string | Buffer} */
  let key;
  if (typeof value === 'string') key = value;
  else if (types.isUint8Array(value)) key = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  else {
    throw typeError(
      `option "${name}" must be a 40-character Z85 string or 32 bytes (Uint8Array), got ${describe(value)}`,
    );
  }
  try {
    return binding.curveKeyZ85(key);
  } catch (err) {
    throw typeError(`option "${name}": ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The public key of a Z85 secret key (for `curvePublicKey` when it was not given).
 * @param {string} secretKey
 * @returns {string}
 */
function publicOf(secretKey) {
  return binding.curvePublicOf(secretKey);
}

/**
 * @typedef {object} AuthenticatePeer
 * @property {'NULL' | 'PLAIN' | 'CURVE'} mechanism
 * @property {string} address
 * @property {string} [publicKey]
 * @property {string} [username]
 * @property {string} [password]
 * @property {Buffer} [usernameBytes]
 * @property {Buffer} [passwordBytes]
 * @property {Buffer | null} routingId
 */

/**
 * The native callback for `handler`: each request is answered once; anything but `true` (a
 * throw, a rejection, a non-boolean) refuses the peer.
 * @param {(peer: AuthenticatePeer) => boolean | Promise<boolean>} handler
 * @returns {(request: import('./native.js').AuthRequest) => void}
 */
function nativeAuthenticator(handler) {
  return (request) => {
    /** @type {AuthenticatePeer} */
    const peer = { mechanism: request.mechanism, address: request.address, routingId: request.routingId ?? null };
    if (request.publicKey != null) peer.publicKey = request.publicKey;
    if (request.username != null) peer.username = request.username;
    if (request.password != null) peer.password = request.password;
    if (request.usernameBytes != null) peer.usernameBytes = request.usernameBytes;
    if (request.passwordBytes != null) peer.passwordBytes = request.passwordBytes;
    const answer = (/** @type {unknown} */ allowed) => binding.authDecision(request.id, allowed === true);
    let result;
    try {
      result = handler(peer);
    } catch {
      answer(false);
      return;
    }
    if (typeof result === 'boolean') answer(result);
    else Promise.resolve(result).then(answer, () => answer(false));
  };
}

/** The options that decide a socket's authenticator. */
const DECIDING = new Set(['authenticate', 'plainServer', 'curveServer', 'zapDomain']);

/**
 * Installs the socket's authenticator as its options say: `authenticate` when set; else, for a
 * security server or a socket with a ZAP domain, the ZAP handler's answer (lib/zap.js); else none.
 * @param {import('./native.js').NativeSocket} socket
 * @param {Record<string, unknown>} values  the socket's live option values (`authenticate` checked:
 *   a function or null)
 * @param {boolean} [fresh]  a new socket: it has none to remove
 */
function install(socket, values, fresh = false) {
  const handler = values.authenticate;
  if (typeof handler === 'function') {
    socket.setAuthenticator(nativeAuthenticator(/** @type {(peer: AuthenticatePeer) => boolean | Promise<boolean>} */ (handler)));
  } else if (zap.applies(values)) {
    // The domain as it is when each peer arrives (an option set later applies to later peers).
    socket.setAuthenticator(nativeAuthenticator((peer) => zap.authenticate(peer, zap.domainOf(values))));
  } else if (!fresh) {
    socket.setAuthenticator(null);
  }
}

module.exports = { curveKeyPair, checkKey, publicOf, install, DECIDING };
