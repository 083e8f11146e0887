'use strict';
// Options of the Majordomo classes: their own (MDP heartbeats) split from the socket options that
// go to the Router/Dealer underneath, which validate those themselves.

const options = require('./options.js');
const { typeError, describe } = require('./errors.js');

const DEFAULTS = Object.freeze({ heartbeatInterval: 2500, heartbeatLiveness: 3 });

/**
 * @param {string} where
 * @param {string} name
 * @param {unknown} value
 * @param {number} min
 * @returns {number}
 */
function positiveInt(where, name, value, min) {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw typeError(`${where} option "${name}" must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > 0x7fffffff) {
    throw typeError(`${where} option "${name}" must be between ${min} and ${0x7fffffff}, got ${value}`, 'ERR_OUT_OF_RANGE');
  }
  return value;
}

/**
 * @param {unknown} opts
 * @param {string} where  e.g. 'Broker'
 * @param {readonly string[]} own  the MDP option names this class takes
 * @param {'router' | 'dealer'} kind  the socket underneath
 * @returns {{ heartbeatInterval: number, heartbeatLiveness: number, socket: Record<string, unknown> }}
 */
function splitOptions(opts, where, own, kind) {
  if (opts !== undefined && opts !== null && typeof opts !== 'object') {
    throw typeError(`${where} options must be an object, got ${describe(opts)}`);
  }
  const all = /** @type {Record<string, unknown>} */ ({ ...(opts ?? {}) });
  // Every connection of a Client or Worker needs an identity of its own, and a new one after a
  // reconnect (the broker's state for the old one is stale): a fixed routingId would break both.
  if (kind === 'dealer' && all.routingId !== undefined && all.routingId !== null) {
    throw typeError(`${where} option "routingId" is not supported: each of its connections gets an identity of its own`, 'ERR_INVALID_ARG_VALUE');
  }
  /** @type {number} */
  let heartbeatInterval = DEFAULTS.heartbeatInterval;
  /** @type {number} */
  let heartbeatLiveness = DEFAULTS.heartbeatLiveness;
  // heartbeatInterval is also a socket option (ZMTP PING); here it means MDP's HEARTBEAT.
  if (own.includes('heartbeatInterval') && all.heartbeatInterval !== undefined) {
    heartbeatInterval = positiveInt(where, 'heartbeatInterval', all.heartbeatInterval, 1);
    delete all.heartbeatInterval;
  }
  if (own.includes('heartbeatLiveness') && all.heartbeatLiveness !== undefined) {
    heartbeatLiveness = positiveInt(where, 'heartbeatLiveness', all.heartbeatLiveness, 1);
    delete all.heartbeatLiveness;
  }
  // Validated now, so a bad option throws in the constructor like on every socket.
  options.resolve(kind, all);
  return { heartbeatInterval, heartbeatLiveness, socket: all };
}

module.exports = { splitOptions };
