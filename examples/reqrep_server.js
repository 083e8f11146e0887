// @ts-check
'use strict';
// Request/Reply server (seed 001's reqrep_server.py, in JavaScript).
// Run two of them on different ports and point reqrep_client.js at both: each reply says which
// server answered ("World from PORT"). WORK_MS ms of simulated work per request (default 1000,
// the seed's time.sleep(1)).
//
//   node examples/reqrep_server.js [port] [host]   defaults 5556, * (all interfaces); port 0 = any free port

const { Reply } = require('zeromq-napi');
const {
  exitOnAddressError,
  parsePort,
  portOf,
  positionalArgs,
  reportFailure,
  workMsFromEnv,
} = require('./lib/cli.js');
const { work } = require('./lib/work.js');

const USAGE = 'node examples/reqrep_server.js [port] [host]   (defaults 5556, *; port 0 = any free port; env WORK_MS=1000)';

async function main() {
  const [portText = '5556', host = '*'] = positionalArgs(USAGE, 2);
  const port = parsePort(USAGE, portText, { allowZero: true });
  const workMs = workMsFromEnv(USAGE, 1000);
  const endpoint = `tcp://${host}:${port}`;

  const rep = new Reply();
  try {
    await rep.bind(endpoint);
  } catch (err) {
    rep.close();
    exitOnAddressError(USAGE, endpoint, err);
  }
  // With port 0 the system picked the port: the reply names the one actually bound.
  const boundPort = portOf(rep.lastEndpoint);
  // Ctrl-C: abandon the request being worked on and close; serve() resolves, Node exits 0.
  const shutdown = new AbortController();
  process.once('SIGINT', () => {
    shutdown.abort();
    rep.close();
  });
  console.log(`Server listening on ${rep.lastEndpoint} ...`);

  await rep.serve(async ([message]) => {
    console.log(`Received request: ${message.toString()}`);
    await work(workMs, shutdown.signal);
    return `World from ${boundPort}`;
  });
  console.log('Server closed.');
}

main().catch(reportFailure);
