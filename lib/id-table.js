'use strict';
// The table of pending operations by id: `get`/`set`/`delete` as on a `Map`, but without what a
// `Map` costs here.
//
// Operation ids only grow, so a `Map` of them keeps rehashing into fresh tables while entries come
// and go, and the discarded tables keep pointing at entries: a young entry that an old table points
// at survives V8's minor collections, and with it the settled promise, its Buffers and the awaiting
// continuation. Measured (4 KiB REQ/REP lockstep in one process, old space after two minor GCs):
// ~230 KiB promoted per 500 round trips with a `Map`, ~2 KiB with this table (zeromq.js: ~2). So
// much promotion made V8 grow the young generation to its 16 MiB maximum and collect so rarely
// that the received Buffers' memory piled up: 150k round trips ended at 122 MiB RSS against
// zeromq.js's 62 (`scripts/footprint.js`).
//
// Here: open addressing in two arrays that only ever grow (ids in a `Uint32Array`, 0 = free,
// entries in a plain array), linear probing, and deletion by shifting the probe run back, so a
// deleted slot holds nothing at all and no tombstones accumulate.

/** Slots at first; the table doubles whenever it is half full. */
const INITIAL = 64;

/** @template T */
class IdTable {
  constructor() {
    this.ids = new Uint32Array(INITIAL);
    /** @type {(T | undefined)[]} */
    this.values = new Array(INITIAL).fill(undefined);
    this.mask = INITIAL - 1;
    this.shift = 32 - Math.log2(INITIAL);
    this.count = 0;
  }

  /** Where `id` would sit with no collision: Fibonacci hashing, as consecutive ids would
   * otherwise fill one long probe run (and every deletion would walk it). @param {number} id */
  home(id) {
    return Math.imul(id, 0x9e3779b1) >>> this.shift;
  }

  /** The slot holding `id`, or the free slot where it would go. @param {number} id */
  slot(id) {
    let i = this.home(id);
    while (this.ids[i] !== 0 && this.ids[i] !== id) i = (i + 1) & this.mask;
    return i;
  }

  /** @param {number} id @returns {T | undefined} */
  get(id) {
    const i = this.slot(id);
    return this.ids[i] === id ? this.values[i] : undefined;
  }

  /** @param {number} id  1 ... 2^32 - 1 @param {T} value */
  set(id, value) {
    const i = this.slot(id);
    if (this.ids[i] === 0) {
      if ((this.count + 1) * 2 > this.ids.length) {
        this.grow();
        this.set(id, value);
        return;
      }
      this.ids[i] = id;
      this.count++;
    }
    this.values[i] = value;
  }

  /** @param {number} id */
  delete(id) {
    let i = this.slot(id);
    if (this.ids[i] !== id) return;
    this.count--;
    // Backward-shift: move later members of the probe run into the hole when their home slot
    // does not lie after it (cyclically), so every lookup still finds them.
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      const next = this.ids[j];
      if (next === 0) break;
      const home = this.home(next);
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      this.ids[i] = next;
      this.values[i] = this.values[j];
      i = j;
    }
    this.ids[i] = 0;
    this.values[i] = undefined;
  }

  grow() {
    const { ids, values } = this;
    this.ids = new Uint32Array(ids.length * 2);
    this.values = new Array(ids.length * 2).fill(undefined);
    this.mask = ids.length * 2 - 1;
    this.shift -= 1;
    this.count = 0;
    for (let k = 0; k < ids.length; k++) {
      if (ids[k] !== 0) this.set(ids[k], /** @type {T} */ (values[k]));
    }
  }
}

module.exports = { IdTable };
