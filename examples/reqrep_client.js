// @ts-check
'use strict';
// Request/Reply client (seed 001's reqrep_client.py, in JavaScript).
// ONE request socket connected to TWO servers: requests are spread round-robin over the servers
// that are up, so the replies alternate between them ("World from PORT1", "World from PORT2"...).
//
// Unlike the seed, it survives a server going away: a request whose server dies is resent at
// once to the other one (request() with `retries`), and one that gets no answer within
// REQUEST_TIMEOUT_MS (receiveTimeout) is resent too. Kill one server while it runs: the
// client carries on with the other and picks the first one up again when it comes back.
//
//   node examples/reqrep_client.js [port1] [port2] [requests]   defaults 5556, none, 10

const { Request } = require('zeromq-napi');
const {
  describeError,
  errorCode,
  parseInteger,
  parsePort,
  positionalArgs,
  reportFailure,
} = require('./lib/cli.js');

const USAGE = 'node examples/reqrep_client.js [port1] [port2] [requests]   (defaults 5556, none, 10)';
const REQUEST_TIMEOUT_MS = 2500; // longer than the servers' 1 s of work
const RETRIES = 3;

async function main() {
  const [port1Text = '5556', port2Text, countText = '10'] = positionalArgs(USAGE, 3);
  const ports = [parsePort(USAGE, port1Text, { allowZero: false })];
  if (port2Text !== undefined) ports.push(parsePort(USAGE, port2Text, { allowZero: false }));
  const requests = parseInteger(USAGE, 'requests', countText, 1, 1_000_000);

  const req = new Request({ receiveTimeout: REQUEST_TIMEOUT_MS });
  // The same socket connects to both servers.
  for (const port of ports) req.connect(`tcp://127.0.0.1:${port}`);

  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    req.close(); // rejects the pending request, which ends the loop
  });
  console.log('Connecting to hello world server...');

  try {
    for (let i = 1; i <= requests; i++) {
      console.log(`Sending request ${i} ...`);
      const [message] = await req.request('Hello', { retries: RETRIES });
      console.log(`Received reply ${i} [ ${message.toString()} ]`);
    }
  } catch (err) {
    if (interrupted) {
      console.log('Interrupted.');
    } else if (errorCode(err) === 'EAGAIN') {
      process.stderr.write(`error: no server answered after ${RETRIES + 1} attempts: ${describeError(err)}\n`);
      process.exitCode = 1;
    } else {
      throw err;
    }
  } finally {
    req.close();
  }
}

main().catch(reportFailure);
