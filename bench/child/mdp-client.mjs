// Client process of the Majordomo bench: `node mdp-client.mjs ENDPOINT CLIENTS ITERS WARMUP`.
// CLIENTS concurrent request loops on one zeromq-napi/majordomo Client (each call has its own
// connection to the broker, so these are CLIENTS MDP clients), ITERS requests each after WARMUP;
// prints `{ elapsedNs, requests }` as JSON.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { Client } = require(process.env.BENCH_OURS ? `${process.env.BENCH_OURS}/lib/majordomo.js` : 'zeromq-napi/majordomo');
const [endpoint, clients, iters, warmup] = process.argv.slice(2).map((x, i) => (i === 0 ? x : Number(x)));
const client = new Client();
client.connect(String(endpoint));
const payload = Buffer.alloc(16, 0xa5);
const loop = async (/** @type {number} */ n) => {
  for (let i = 0; i < n; i++) {
    const [reply] = await client.request('echo', payload, { timeout: 30_000 });
    if (reply.length !== payload.length) throw new Error(`bad reply: ${reply.length} bytes`);
  }
};
await Promise.all(Array.from({ length: Number(clients) }, () => loop(Number(warmup))));
const t = performance.now();
await Promise.all(Array.from({ length: Number(clients) }, () => loop(Number(iters))));
const elapsedNs = (performance.now() - t) * 1e6;
client.close();
console.log(JSON.stringify({ elapsedNs, requests: Number(clients) * Number(iters) }));
