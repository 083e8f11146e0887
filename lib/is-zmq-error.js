'use strict';
// The runtime side of `isZmqError` (index.d.ts): a type guard for `catch (err: unknown)`.

// Every `.code` this package rejects or throws with (index.d.ts `ZmqErrorCode`, API.md "Errors").
const CODES = new Set([
  'EFSM',
  'EAGAIN',
  'EBUSY',
  'EBADF',
  'EINVAL',
  'EPROTONOSUPPORT',
  'EADDRINUSE',
  'EADDRNOTAVAIL',
  'ENOENT',
  'EHOSTUNREACH',
  'ABORT_ERR',
  'EINTERNAL',
]);

/**
 * Whether `err` is an `Error` whose `code` is one of this package's codes.
 * @param {unknown} err
 * @returns {boolean}
 */
function isZmqError(err) {
  if (!(err instanceof Error)) return false;
  const { code } = /** @type {{ code?: unknown }} */ (err);
  return typeof code === 'string' && CODES.has(code);
}

module.exports = { isZmqError };
