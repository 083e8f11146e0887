// A Majordomo worker for one of two services, typed:
//   echo       answers each request with its own frames
//   countdown  streams: "3", "2", "1" as PARTIAL replies, then "liftoff" as the FINAL one
// It heartbeats, and re-registers by itself if the broker restarts. Ctrl-C drains: the request in
// hand is answered before the worker leaves.
//
//   npx tsx examples/majordomo/worker.ts [echo|countdown] [endpoint] [name]

import type { Received } from 'zeromq-napi';
import { Worker, type WorkerHandler } from 'zeromq-napi/majordomo';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function handlerFor(service: string, name: string): WorkerHandler {
  switch (service) {
    case 'echo':
      return (request: Received) => [...request, `by ${name}`];
    case 'countdown':
      return async function* (request: Received) {
        const from = Number(request[0].toString()) || 3;
        for (let i = from; i > 0; i--) {
          await delay(20);
          yield String(i);
        }
        return 'liftoff';
      };
    default:
      throw new Error(`unknown service ${service}: echo or countdown`);
  }
}

async function main(): Promise<void> {
  const [service = 'echo', endpoint = 'tcp://127.0.0.1:5580', name = `${service}-${process.pid}`] = process.argv.slice(2);
  const handler = handlerFor(service, name);
  const worker = new Worker(service, { heartbeatInterval: Number(process.env.MDP_HEARTBEAT ?? 2500) });
  worker.connect(endpoint);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  console.log(`Worker ${name} serving "${service}" via ${endpoint} (Ctrl-C to stop)`);
  await worker.serve(handler, { concurrency: 2, signal: stop.signal });
  worker.close();
  console.log(`Worker ${name} stopped.`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
