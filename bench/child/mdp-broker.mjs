// Broker process of the Majordomo bench (bench/majordomo.mjs): `node mdp-broker.mjs ours|zeromqjs`.
// ours: zeromq-napi/majordomo's Broker. zeromqjs: a hand-written MDP broker on zeromq.js's Router
// (libzmq): the least a broker does (READY, REQUEST to a free worker or a queue, FINAL back,
// HEARTBEAT answered), no purge, no MMI: what routing through JavaScript costs on libzmq.
// Prints its endpoint as the first stdout line; SIGTERM ends it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [impl] = process.argv.slice(2);
const HEARTBEAT_MS = 10_000;

if (impl === 'ours') {
  const { Broker } = require(process.env.BENCH_OURS ? `${process.env.BENCH_OURS}/lib/majordomo.js` : 'zeromq-napi/majordomo');
  const broker = new Broker({ heartbeatInterval: HEARTBEAT_MS });
  await broker.bind('tcp://127.0.0.1:*');
  console.log(broker.lastEndpoint);
  process.once('SIGTERM', () => broker.close());
  await broker.run();
} else {
  const zmq = require('zeromq');
  const router = new zmq.Router();
  await router.bind('tcp://127.0.0.1:*');
  console.log(router.lastEndpoint);
  process.once('SIGTERM', () => router.close());
  const EMPTY = Buffer.alloc(0);
  const CLIENT = Buffer.from('MDPC02');
  const WORKER = Buffer.from('MDPW02');
  const FINAL = Buffer.from([4]);
  const REQUEST = Buffer.from([2]);
  const HEARTBEAT = Buffer.from([5]);
  /** @type {Map<string, { idle: Buffer[], queue: Array<{ client: Buffer, body: Buffer[] }> }>} */
  const services = new Map();
  /** @type {Map<string, string>} worker id (hex) -> service */
  const serviceOf = new Map();
  const service = (/** @type {string} */ name) => {
    let s = services.get(name);
    if (!s) services.set(name, (s = { idle: [], queue: [] }));
    return s;
  };
  const dispatch = async (/** @type {{ idle: Buffer[], queue: Array<{ client: Buffer, body: Buffer[] }> }} */ s) => {
    while (s.idle.length > 0 && s.queue.length > 0) {
      const worker = /** @type {Buffer} */ (s.idle.shift());
      const job = /** @type {{ client: Buffer, body: Buffer[] }} */ (s.queue.shift());
      await router.send([worker, EMPTY, WORKER, REQUEST, job.client, EMPTY, ...job.body]);
    }
  };
  try {
    for await (const [id, , header, command, ...rest] of router) {
      if (header.equals(CLIENT)) {
        const s = service(rest[0].toString());
        s.queue.push({ client: id, body: rest.slice(1) });
        await dispatch(s);
      } else if (header.equals(WORKER)) {
        switch (command[0]) {
          case 1: {
            serviceOf.set(id.toString('hex'), rest[0].toString());
            const s = service(rest[0].toString());
            s.idle.push(id);
            await dispatch(s);
            break;
          }
          case 4: {
            const [client, , ...body] = rest;
            await router.send([client, EMPTY, CLIENT, FINAL, ...body]);
            const s = service(serviceOf.get(id.toString('hex')) ?? '');
            s.idle.push(id);
            await dispatch(s);
            break;
          }
          case 5:
            await router.send([id, EMPTY, WORKER, HEARTBEAT]);
            break;
          default:
        }
      }
    }
  } catch (err) {
    if (!router.closed) throw err;
  }
}
