// A Majordomo worker for one of two services:
//   echo       answers each request with its own frames
//   countdown  streams: "3", "2", "1" as PARTIAL replies, then "liftoff" as the FINAL one
// It heartbeats, and re-registers by itself if the broker restarts. Ctrl-C drains: the request in
// hand is answered before the worker leaves.
//
//   node examples/majordomo/worker.js [echo|countdown] [endpoint] [name]
'use strict';

const { Worker } = require('zeromq-napi/majordomo');

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const services = {
  /** @param {Buffer[]} request @param {string} name */
  echo: (request, name) => [...request, `by ${name}`],
  /** @param {Buffer[]} request */
  countdown: async function* (request) {
    const from = Number(request[0].toString()) || 3;
    for (let i = from; i > 0; i--) {
      await delay(20);
      yield String(i);
    }
    return 'liftoff';
  },
};

async function main() {
  const [service = 'echo', endpoint = 'tcp://127.0.0.1:5580', name = `${service}-${process.pid}`] = process.argv.slice(2);
  const handler = services[/** @type {keyof typeof services} */ (service)];
  if (handler === undefined) throw new Error(`unknown service ${service}: echo or countdown`);
  const worker = new Worker(service, { heartbeatInterval: Number(process.env.MDP_HEARTBEAT ?? 2500) });
  worker.connect(endpoint);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  console.log(`Worker ${name} serving "${service}" via ${endpoint} (Ctrl-C to stop)`);
  await worker.serve((request) => handler(request, name), { concurrency: 2, signal: stop.signal });
  worker.close();
  console.log(`Worker ${name} stopped.`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
