// @ts-check
'use strict';
// The servers' simulated work (the seeds' time.sleep(1)), which Ctrl-C must be able to cut short.

/**
 * Resolves after `ms` milliseconds, or never if `signal` aborts first. On Ctrl-C the server
 * aborts and closes its socket: the request being worked on is abandoned (its reply could not be
 * sent anyway) and no timer is left to keep Node running for up to WORK_MS.
 * @param {number} ms
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function work(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return;
    const onAbort = () => clearTimeout(timer);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

module.exports = { work };
