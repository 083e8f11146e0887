// @ts-check
'use strict';
// Client - Server 'Hello, World': the client (seed 000, in JavaScript).
// Sends "Hello" (100 times by default) and waits for each "World".
//
// Unlike the seed's client, it recovers when the server is killed and restarted: each request
// gets REQUEST_TIMEOUT_MS to be answered (receiveTimeout), and request() resends it up to
// RETRIES times, at once when the connection that owed the reply drops. Start the client
// first, or restart the server while the client runs: it carries on.
//
//   node examples/hello_client.js [requests] [endpoint]   defaults 100, tcp://127.0.0.1:5555

const { Request } = require('zeromq-napi');
const {
  describeError,
  errorCode,
  exitOnAddressError,
  parseInteger,
  positionalArgs,
  reportFailure,
} = require('./lib/cli.js');

const USAGE = 'node examples/hello_client.js [requests] [endpoint]   (defaults 100, tcp://127.0.0.1:5555)';
// Longer than the server's 1 s of work, short enough to notice a dead server quickly.
const REQUEST_TIMEOUT_MS = 2500;
const RETRIES = 3;

async function main() {
  const [countText = '100', endpoint = 'tcp://127.0.0.1:5555'] = positionalArgs(USAGE, 2);
  const requests = parseInteger(USAGE, 'requests', countText, 1, 1_000_000);

  const req = new Request({ receiveTimeout: REQUEST_TIMEOUT_MS });
  try {
    req.connect(endpoint); // the server may start later: requests wait for it
  } catch (err) {
    req.close();
    exitOnAddressError(USAGE, endpoint, err);
  }

  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    req.close(); // rejects the pending request, which ends the loop
  });
  console.log(`Connecting to ${endpoint} ...`);

  try {
    for (let i = 1; i <= requests; i++) {
      console.log(`Sending request ${i} \`Hello\` ...`);
      const [reply] = await req.request('Hello', { retries: RETRIES });
      console.log(`Received reply ${i}: ${reply.toString()}`);
    }
  } catch (err) {
    if (interrupted) {
      console.log('Interrupted.');
    } else if (errorCode(err) === 'EAGAIN') {
      // Every attempt timed out: report it instead of hanging like the seed's client.
      process.stderr.write(`error: no reply from ${endpoint} after ${RETRIES + 1} attempts: ${describeError(err)}\n`);
      process.exitCode = 1;
    } else {
      throw err;
    }
  } finally {
    req.close();
  }
}

main().catch(reportFailure);
