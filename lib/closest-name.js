'use strict';
// "Did you mean ...?" for misspelled names: the known name nearest to what was given, if it is
// near enough to be a typo rather than a different word.

/**
 * How a name is compared: case, `_` and `-` do not count (`receive_timeout`, `ReceiveTimeout`
 * and `receiveTimeout` are the same name spelled differently).
 * @param {string} name
 */
function normalize(name) {
  return name.toLowerCase().replace(/[_-]/g, '');
}

/**
 * Edit distance counting a swap of two neighbours as one edit (optimal string alignment), so
 * `recieve` is one edit from `receive`, as a reader would count it.
 * @param {string} a
 * @param {string} b
 */
function distance(a, b) {
  /** @type {number[][]} */
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The known name closest to `name`, or undefined when none is within a typo's reach (two edits,
 * or a third of the name's length for long names).
 * @param {string} name
 * @param {Iterable<string>} known
 * @returns {string | undefined}
 */
function closestName(name, known) {
  const given = normalize(name);
  // Bounded so that hostile input (a huge key) costs nothing: no name of ours is that long.
  if (given.length > 64) return undefined;
  const reach = Math.max(2, Math.floor(given.length / 3));
  let best;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(given, normalize(candidate));
    if (d <= reach && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

module.exports = { closestName };
