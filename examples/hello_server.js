// @ts-check
'use strict';
// Client - Server 'Hello, World': the server (seed 000, in JavaScript).
// Binds a REP socket, prints each request, "works" for WORK_MS ms (the seed's time.sleep(1):
// 1000 by default) and answers "World".
//
//   node examples/hello_server.js [endpoint]   default tcp://*:5555
//   WORK_MS=0 node examples/hello_server.js tcp://127.0.0.1:*

const { Reply } = require('zeromq-napi');
const { exitOnAddressError, positionalArgs, reportFailure, workMsFromEnv } = require('./lib/cli.js');
const { work } = require('./lib/work.js');

const USAGE = 'node examples/hello_server.js [endpoint]   (default tcp://*:5555; env WORK_MS=1000)';

async function main() {
  const [endpoint = 'tcp://*:5555'] = positionalArgs(USAGE, 1);
  const workMs = workMsFromEnv(USAGE, 1000);

  const rep = new Reply();
  try {
    await rep.bind(endpoint);
  } catch (err) {
    rep.close();
    exitOnAddressError(USAGE, endpoint, err);
  }
  // Ctrl-C: abandon the request being worked on and close; serve() resolves, Node exits 0.
  const shutdown = new AbortController();
  process.once('SIGINT', () => {
    shutdown.abort();
    rep.close();
  });
  console.log(`Server listening on ${rep.lastEndpoint} ...`);

  // One request at a time, like the seed's loop. Many clients can still be connected: their
  // requests queue. (`serve(handler, { concurrency: N })` would work on N of them at once.)
  await rep.serve(async ([message]) => {
    console.log(`Received request: ${message.toString()}`);
    await work(workMs, shutdown.signal); // the "work"
    return 'World';
  });
  console.log('Server closed.');
}

main().catch(reportFailure);
