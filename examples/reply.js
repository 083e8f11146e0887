// @ts-check
'use strict';
// Hello World reply server (seed 004, corrected).
// BINDS a REP socket (the seed called connect() on the server, so no client could reach it),
// expects "Hello" and answers "World" after WORK_MS ms of simulated work (1000 by default, the
// seed's setTimeout). serve() sends each handler's return value back to the client that asked,
// so no socket variable has to be in scope when the reply is ready (the seed's timer called an
// undefined `responder`).
//
//   node examples/reply.js [endpoint]          default tcp://*:5560
//   WORK_MS=0 node examples/reply.js tcp://127.0.0.1:*

const { Reply } = require('zeromq-napi');
const { exitOnAddressError, positionalArgs, reportFailure, workMsFromEnv } = require('./lib/cli.js');
const { work } = require('./lib/work.js');

const USAGE = 'node examples/reply.js [endpoint]   (default tcp://*:5560; env WORK_MS=1000)';

async function main() {
  const [endpoint = 'tcp://*:5560'] = positionalArgs(USAGE, 1);
  const workMs = workMsFromEnv(USAGE, 1000);

  const rep = new Reply();
  try {
    await rep.bind(endpoint);
  } catch (err) {
    rep.close();
    exitOnAddressError(USAGE, endpoint, err);
  }
  // Ctrl-C closes the socket; serve() then resolves and Node exits 0 by itself. Installed
  // before the banner: whoever reads "bound to" may press Ctrl-C at once.
  // `once`: a second Ctrl-C gets Node's default behaviour (kill), should closing ever hang.
  const shutdown = new AbortController();
  process.once('SIGINT', () => {
    shutdown.abort(); // abandons the request being worked on
    rep.close();
  });
  // lastEndpoint is the resolved address: `tcp://127.0.0.1:*` shows the port it got.
  console.log(`Reply server bound to ${rep.lastEndpoint} (Ctrl-C to stop)`);

  await rep.serve(async ([msg]) => {
    console.log('received request:', msg.toString());
    await work(workMs, shutdown.signal);
    return 'World';
  });
  console.log('Reply server closed.');
}

main().catch(reportFailure);
