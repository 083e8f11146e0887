'use strict';
// A socket's later sends of one event-loop turn, kept here and handed to the engine in one native
// call (src/socket.rs `send_many`) instead of one call each (issue 21).
//
// Only what the engine said it would take (`sendRoom`: the live peers' room under the send
// high-water mark, or any number for a ROUTER or PUB, which drop rather than wait) is kept: such a
// send is accepted, so its promise resolves at once, exactly as a native send that is taken on
// the spot; the count of accepted messages never passes the high-water mark. The bytes are copied
// in during `send()` (API.md: a send takes its bytes during the call), frames back to back, with
// a layout of 32-bit words (per message its frame count, then each frame's length).

const { types } = require('node:util');
const { frameView, viewByteLength } = require('./message.js');

/** A message bigger than this goes by itself: copying it here first would cost more than the call. */
const MAX_MESSAGE_BYTES = 8 * 1024;
/** Kept bytes past which the queue is handed over at once (a long turn does not hoard memory). */
const FLUSH_BYTES = 256 * 1024;

class SendQueue {
  /** Frames back to back; a Buffer for its `write` (strings are encoded straight in). */
  bytes = Buffer.allocUnsafeSlow(4 * 1024);
  /** Per message: its frame count, then each frame's length. */
  layout = new Uint32Array(256);
  /** Bytes used in `bytes`. */
  used = 0;
  /** Words used in `layout`. */
  words = 0;

  /** Whether anything is kept. */
  get empty() {
    return this.words === 0;
  }

  /** Whether enough is kept to hand it over now. */
  get full() {
    return this.used >= FLUSH_BYTES;
  }

  /**
   * Copies `message` in (one frame, or an array of them: checked by checkMessage); false, keeping
   * nothing, when it is too big to be worth it (or not a message after all).
   * @param {unknown} message
   * @returns {boolean}
   */
  add(message) {
    const frames = Array.isArray(message) ? message : [message];
    const count = frames.length;
    // An upper bound of the bytes first (a string takes at most 3 bytes per UTF-16 unit).
    let bound = 0;
    for (let i = 0; i < count; i++) {
      const frame = frames[i];
      if (frame === null) continue;
      if (typeof frame === 'string') bound += frame.length * 3;
      else if (ArrayBuffer.isView(frame) || types.isArrayBuffer(frame)) bound += viewByteLength(frameView(frame));
      else return false;
      if (bound > MAX_MESSAGE_BYTES) return false;
    }
    this.#reserve(bound, 1 + count);
    let used = this.used;
    let words = this.words;
    const bytes = this.bytes;
    const layout = this.layout;
    layout[words++] = count;
    for (let i = 0; i < count; i++) {
      const frame = frames[i];
      let length = 0;
      if (typeof frame === 'string') {
        length = bytes.write(frame, used);
      } else if (frame !== null) {
        const view = frameView(frame);
        length = viewByteLength(view);
        bytes.set(view, used);
      }
      layout[words++] = length;
      used += length;
    }
    this.used = used;
    this.words = words;
    return true;
  }

  /**
   * Hands what is kept to `sendMany(bytes, layout)` and empties the queue (its memory is reused:
   * the native call has taken the bytes when it returns).
   * @param {(bytes: Uint8Array, layout: Uint32Array) => void} sendMany
   */
  drain(sendMany) {
    const layout = this.layout.subarray(0, this.words);
    this.used = 0;
    this.words = 0;
    sendMany(this.bytes, layout);
  }

  /**
   * Room for `bytes` more bytes and `words` more layout words.
   * @param {number} bytes
   * @param {number} words
   */
  #reserve(bytes, words) {
    if (this.used + bytes > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.used + bytes));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    if (this.words + words > this.layout.length) {
      const grown = new Uint32Array(Math.max(this.layout.length * 2, this.words + words));
      grown.set(this.layout.subarray(0, this.words));
      this.layout = grown;
    }
  }
}

module.exports = { SendQueue };
