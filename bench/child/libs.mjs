// The two Node libraries under test behind one small surface. Both follow the zeromq.js v6 shape
// (new Request(), connect, send, receive, new Reply(), bind, lastEndpoint, close), so one harness drives both.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * @typedef {{ Request: new (o?: object) => any, Reply: new (o?: object) => any, Dealer: new (o?: object) => any, Router: new (o?: object) => any,
 *   Publisher: new (o?: object) => any, Subscriber: new (o?: object) => any, Push: new (o?: object) => any, Pull: new (o?: object) => any,
 *   Proxy: new (frontend: any, backend: any) => any, hasServe: boolean, hasRequest: boolean }} Lib
 * @param {'ours' | 'zeromqjs'} name
 * @returns {Lib}
 */
export function loadLib(name) {
  if (name === 'zeromqjs') {
    const zmq = require('zeromq');
    return {
      Request: zmq.Request,
      Reply: zmq.Reply,
      Dealer: zmq.Dealer,
      Router: zmq.Router,
      Publisher: zmq.Publisher,
      Subscriber: zmq.Subscriber,
      Push: zmq.Push,
      Pull: zmq.Pull,
      Proxy: zmq.Proxy,
      hasServe: false,
      hasRequest: false,
    };
  }
  // Resolved through the package's own "exports" (self-reference), i.e. exactly what users import;
  // BENCH_OURS=/path/to/other/checkout measures another build (e.g. a branch) in its place.
  const ours = /** @type {any} */ (require(process.env.BENCH_OURS || 'zeromq-napi'));
  return {
    Request: ours.Request,
    Reply: ours.Reply,
    Dealer: ours.Dealer,
    Router: ours.Router,
    Publisher: ours.Publisher,
    Subscriber: ours.Subscriber,
    Push: ours.Push,
    Pull: ours.Pull,
    Proxy: ours.Proxy,
    hasServe: true,
    hasRequest: true,
  };
}

// The CURVE cases' keys: libzmq's test pairs (doc/zmq_curve.adoc), Z85 as both libraries take them.
export const CURVE_SERVER = {
  curveServer: true,
  curveSecretKey: 'JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6',
};
export const CURVE_CLIENT = {
  curveServerKey: 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7',
  curvePublicKey: 'Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID',
  curveSecretKey: 'D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs',
};

/** @param {number} ms @param {string} what */
export function timeout(ms, what) {
  return new Promise((_, reject) => {
    setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms).unref();
  });
}
