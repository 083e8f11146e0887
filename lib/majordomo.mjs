// ESM entry of zeromq-napi/majordomo; it re-exports the CommonJS module (one addon instance for both).
import majordomo from './majordomo.js';

export const { Broker, Worker, Client } = majordomo;
export default majordomo;
