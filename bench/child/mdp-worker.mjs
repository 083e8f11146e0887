// Worker process of the Majordomo bench: `node mdp-worker.mjs ENDPOINT`, zeromq-napi/majordomo's
// Worker serving "echo" (the request's frames back). Prints `ready`; SIGTERM ends it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Worker } = require(process.env.BENCH_OURS ? `${process.env.BENCH_OURS}/lib/majordomo.js` : 'zeromq-napi/majordomo');
const [endpoint] = process.argv.slice(2);
const worker = new Worker('echo', { heartbeatInterval: 10_000 });
worker.connect(endpoint);
process.once('SIGTERM', () => worker.close());
console.log('ready');
await worker.serve((/** @type {Buffer[]} */ msg) => msg);
