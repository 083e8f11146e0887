// The two Node libraries under test behind one small surface. Both follow the zeromq.js v6 shape
// (new Request(), connect, send, receive, new Reply(), bind, lastEndpoint, close), so one harness drives both.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * @typedef {{ Request: new () => any, Reply: new () => any, Dealer: new (o?: object) => any, Router: new (o?: object) => any,
 *   Proxy: new (frontend: any, backend: any) => any, hasServe: boolean, hasRequest: boolean }} Lib
 * @param {'ours' | 'zeromqjs'} name
 * @returns {Lib}
 */
export function loadLib(name) {
  if (name === 'zeromqjs') {
    const zmq = require('zeromq');
    return { Request: zmq.Request, Reply: zmq.Reply, Dealer: zmq.Dealer, Router: zmq.Router, Proxy: zmq.Proxy, hasServe: false, hasRequest: false };
  }
  // Resolved through the package's own "exports" (self-reference), i.e. exactly what users import;
  // BENCH_OURS=/path/to/other/checkout measures another build (e.g. a branch) in its place.
  const ours = /** @type {any} */ (require(process.env.BENCH_OURS || 'zeromq-napi'));
  return { Request: ours.Request, Reply: ours.Reply, Dealer: ours.Dealer, Router: ours.Router, Proxy: ours.Proxy, hasServe: true, hasRequest: true };
}

/** @param {number} ms @param {string} what */
export function timeout(ms, what) {
  return new Promise((_, reject) => {
    setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms).unref();
  });
}
