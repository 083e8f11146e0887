'use strict';
// The Majordomo Protocol 0.2 wire format (RFC 18), and the one dialect of it found in the wild.
//
// RFC 18 puts no empty frame before the header and numbers the client's replies PARTIAL = 0x02,
// FINAL = 0x03, followed by the service name. Python's majortomo (the maintained MDP 0.2
// implementation) keeps MDP 0.1's empty delimiter frame in front of every command, uses the
// worker's numbers for the client too (REQUEST = 0x02, PARTIAL = 0x03, FINAL = 0x04) and sends no
// service name in replies; its broker rejects messages without the delimiter or with 0x01. So:
// - our Client and Worker send the delimited form (majortomo's broker and ours both accept it);
// - everything we receive may come in either form, told apart by the leading empty frame, and the
//   broker answers each peer in the form that peer used.

const WORKER = Buffer.from('MDPW02');
const CLIENT = Buffer.from('MDPC02');
const EMPTY = Buffer.alloc(0);

/** Worker commands (both dialects agree). */
const W = Object.freeze({ READY: 1, REQUEST: 2, PARTIAL: 3, FINAL: 4, HEARTBEAT: 5, DISCONNECT: 6 });
/** MDP/Client command numbers per dialect. */
const C = Object.freeze({
  bare: Object.freeze({ REQUEST: 1, PARTIAL: 2, FINAL: 3 }),
  delimited: Object.freeze({ REQUEST: 2, PARTIAL: 3, FINAL: 4 }),
});

/**
 * A client's REQUEST in either numbering (a client sends nothing else, so the broker takes both).
 * @param {number} command
 */
function isClientRequest(command) {
  return command === C.bare.REQUEST || command === C.delimited.REQUEST;
}

const COMMAND_FRAMES = [1, 2, 3, 4, 5, 6].map((n) => Buffer.from([n]));

/** @typedef {'bare' | 'delimited'} Dialect */

/**
 * @param {number} n
 * @returns {Buffer}
 */
function commandFrame(n) {
  return COMMAND_FRAMES[n - 1];
}

/**
 * Splits a message into its dialect and its frames from the header on.
 * @param {Buffer[]} frames  (after any routing id)
 * @returns {{ dialect: Dialect, frames: Buffer[] }}
 */
function undelimit(frames) {
  if (frames.length > 1 && frames[0].length === 0) return { dialect: 'delimited', frames: frames.slice(1) };
  return { dialect: 'bare', frames };
}

/**
 * The one-byte command of frames[1], or 0 when it is not one byte.
 * @param {Buffer[]} frames
 */
function commandOf(frames) {
  const frame = frames[1];
  return frame !== undefined && frame.length === 1 ? frame[0] : 0;
}

/**
 * @template T
 * @param {Dialect} dialect
 * @param {T[]} frames
 * @returns {Array<T | Buffer>}
 */
function delimit(dialect, frames) {
  return dialect === 'delimited' ? [EMPTY, ...frames] : frames;
}

/**
 * A client's reply as the client gets it.
 * @param {Buffer[]} message
 * @returns {{ final: boolean, body: Buffer[] } | undefined} undefined when it is not an MDP/Client reply
 */
function parseClientReply(message) {
  const { dialect, frames } = undelimit(message);
  if (frames.length < 2 || !frames[0].equals(CLIENT)) return undefined;
  const command = commandOf(frames);
  const codes = C[dialect];
  if (command !== codes.PARTIAL && command !== codes.FINAL) return undefined;
  // The bare form names the service before the body; the delimited one does not.
  const body = frames.slice(dialect === 'bare' ? 3 : 2);
  return { final: command === codes.FINAL, body: body.length > 0 ? body : [EMPTY] };
}

module.exports = { WORKER, CLIENT, EMPTY, W, C, isClientRequest, commandFrame, undelimit, commandOf, delimit, parseClientReply };
