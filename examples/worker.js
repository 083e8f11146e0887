// @ts-check
'use strict';
// A worker behind examples/broker.js: a Reply socket that CONNECTS to the broker's backend (the
// broker is the stable address; workers come and go, on this machine or others). Answers each
// request with "<request> handled by <name>" after WORK_MS ms of simulated work.
//
//   node examples/worker.js [backend] [name]     default tcp://127.0.0.1:5560 worker-<pid>
//   WORK_MS=0 node examples/worker.js

const { Reply } = require('zeromq-napi');
const { exitOnAddressError, positionalArgs, reportFailure, workMsFromEnv } = require('./lib/cli.js');
const { work } = require('./lib/work.js');

const USAGE = 'node examples/worker.js [backend] [name]   (default tcp://127.0.0.1:5560 worker-<pid>; env WORK_MS=100)';

async function main() {
  const [endpoint = 'tcp://127.0.0.1:5560', name = `worker-${process.pid}`] = positionalArgs(USAGE, 2);
  const workMs = workMsFromEnv(USAGE, 100);
  const rep = new Reply();
  try {
    rep.connect(endpoint);
  } catch (err) {
    rep.close();
    exitOnAddressError(USAGE, endpoint, err);
  }
  const shutdown = new AbortController();
  process.once('SIGINT', () => {
    shutdown.abort();
    rep.close();
  });
  console.log(`Worker ${name} connecting to ${endpoint} (Ctrl-C to stop)`);
  await rep.serve(async ([request]) => {
    console.log(`${name} received: ${request.toString()}`);
    await work(workMs, shutdown.signal);
    return `${request.toString()} handled by ${name}`;
  });
  console.log(`Worker ${name} stopped.`);
}

main().catch(reportFailure);
