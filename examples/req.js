// @ts-check
'use strict';
// Hello World request client (seed 004, corrected).
// Connects a REQ socket, sends "Hello" 10 times and AWAITS each reply before the next request.
// The seed awaited an undefined `socket`, then registered an on('message') callback that was
// never paired with the request it answered, and never waited for it. request() sends and
// resolves with that request's own reply.
//
//   node examples/req.js [endpoint]            default tcp://127.0.0.1:5560

const { Request } = require('zeromq-napi');
const { exitOnAddressError, positionalArgs, reportFailure } = require('./lib/cli.js');

const USAGE = 'node examples/req.js [endpoint]   (default tcp://127.0.0.1:5560)';
const REQUESTS = 10;

async function main() {
  const [endpoint = 'tcp://127.0.0.1:5560'] = positionalArgs(USAGE, 1);

  const req = new Request();
  try {
    // connect() returns at once and (re)connects in the background, so the client may start
    // before the server: the first request waits until the connection is up.
    req.connect(endpoint);
  } catch (err) {
    req.close();
    exitOnAddressError(USAGE, endpoint, err);
  }

  // Ctrl-C closes the socket, which rejects the pending request and so ends the loop.
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    req.close();
  });
  console.log(`Connecting to ${endpoint} ...`);

  try {
    for (let i = 1; i <= REQUESTS; i++) {
      console.log(`Sending request ${i}: Hello`);
      const [reply] = await req.request('Hello');
      console.log(`Received reply ${i}: ${reply.toString()}`);
    }
  } catch (err) {
    if (!interrupted) throw err;
    console.log('Interrupted.');
  } finally {
    req.close();
  }
}

main().catch(reportFailure);
