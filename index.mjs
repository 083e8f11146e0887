// ESM entry of zeromq-napi. It re-exports the CommonJS entry so both share one addon instance
// (and `instanceof` works across `import` and `require`).
import zeromq from './index.js';

export const {
  Request,
  Reply,
  Dealer,
  Router,
  Publisher,
  Subscriber,
  XPublisher,
  XSubscriber,
  Push,
  Pull,
  Pair,
  Proxy,
  isZmqError,
  curveKeyPair,
  capability,
  version,
  Context,
  context,
  Socket,
  Observer,
} = zeromq;
export default zeromq;
