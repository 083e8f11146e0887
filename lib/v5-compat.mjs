// ESM entry of zeromq-napi/v5-compat; it re-exports the CommonJS module (one set of sockets for both).
import compat from './v5-compat.js';

export const {
  Socket,
  socket,
  createSocket,
  options,
  ZMQ_SNDMORE,
  ZMQ_SUBSCRIBE,
  ZMQ_UNSUBSCRIBE,
  ZMQ_IDENTITY,
  ZMQ_TYPE,
  ZMQ_LINGER,
  ZMQ_RECONNECT_IVL,
  ZMQ_RECONNECT_IVL_MAX,
  ZMQ_MAXMSGSIZE,
  ZMQ_SNDHWM,
  ZMQ_RCVHWM,
  ZMQ_RCVTIMEO,
  ZMQ_SNDTIMEO,
  ZMQ_LAST_ENDPOINT,
  ZMQ_ROUTER_MANDATORY,
  ZMQ_REQ_CORRELATE,
  ZMQ_REQ_RELAXED,
  ZMQ_HANDSHAKE_IVL,
  ZMQ_HEARTBEAT_IVL,
  ZMQ_HEARTBEAT_TTL,
  ZMQ_HEARTBEAT_TIMEOUT,
  ZMQ_CONNECT_TIMEOUT,
} = compat;
export default compat;
