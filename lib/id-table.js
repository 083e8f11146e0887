'use strict';
// The table of pending operations by id, as a `Map` would be, but without `Map`'s memory cost
// here.
//
// Operation ids only grow, so a `Map` of them keeps rehashing into fresh tables while entries come
// and go; the discarded tables keep pointing at entries, and a young entry that an old table points
// at survives V8's minor collections (measured: 4 KiB REQ/REP lockstep in one process, after two
// minor GCs, old space grew ~230 KiB per 500 round trips with a `Map`, ~2 KiB with this table, as
// with zeromq.js). With every settled promise, its Buffers and its continuation promoted that way,
// V8 grew the young generation to its 16 MiB maximum and collected so rarely that the received
// Buffers' memory piled up: 150k such round trips ended at 122 MiB RSS against zeromq.js's 62
// (`scripts/footprint.js`). An object keyed by integer (dictionary elements once the ids are
// sparse) deletes in place.

/** @template T */
class IdTable {
  constructor() {
    /** @type {Record<number, T>} */
    this.entries = Object.create(null);
  }

  /** @param {number} id @returns {T | undefined} */
  get(id) {
    return this.entries[id];
  }

  /** @param {number} id @param {T} value */
  set(id, value) {
    this.entries[id] = value;
  }

  /** @param {number} id */
  delete(id) {
    delete this.entries[id];
  }
}

module.exports = { IdTable };
