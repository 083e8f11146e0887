// @ts-check
'use strict';
// A worker of examples/lbbroker.js: a Request socket that says READY, then answers each request
// the broker hands it (the reply carries the client's envelope back), one at a time. The
// broker gives it work only when it is free, so a slow one (WORK_MS) holds up no other client.
//
//   node examples/lbworker.js [backend] [name]    default tcp://127.0.0.1:5572 lbworker-<pid>
//   WORK_MS=2000 node examples/lbworker.js tcp://127.0.0.1:5572 slow

const { Request } = require('zeromq-napi');
const { exitOnAddressError, positionalArgs, reportFailure, workMsFromEnv } = require('./lib/cli.js');
const { work } = require('./lib/work.js');

const USAGE = 'node examples/lbworker.js [backend] [name]   (default tcp://127.0.0.1:5572 lbworker-<pid>; env WORK_MS=100)';

async function main() {
  const [endpoint = 'tcp://127.0.0.1:5572', name = `lbworker-${process.pid}`] = positionalArgs(USAGE, 2);
  const workMs = workMsFromEnv(USAGE, 100);
  const req = new Request({ routingId: name });
  try {
    req.connect(endpoint);
  } catch (err) {
    req.close();
    exitOnAddressError(USAGE, endpoint, err);
  }
  const shutdown = new AbortController();
  process.once('SIGINT', () => {
    shutdown.abort();
    req.close();
  });
  console.log(`Worker ${name} connecting to ${endpoint} (Ctrl-C to stop)`);
  try {
    // The first message says READY; each later one is the answer, and asks for the next job.
    /** @type {[import('zeromq-napi').MessageLike, ...import('zeromq-napi').MessageLike[]]} */
    let next = ['READY'];
    for (;;) {
      const [client, , ...request] = await req.request(next);
      const text = request.map(String).join(' ');
      console.log(`${name} received: ${text}`);
      await work(workMs, shutdown.signal);
      next = [client, '', `${text} handled by ${name}`];
    }
  } catch (err) {
    if (!req.closed) throw err;
  }
  console.log(`Worker ${name} stopped.`);
}

main().catch(reportFailure);
