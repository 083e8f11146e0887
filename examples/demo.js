// @ts-check
'use strict';
// `npm run demo`: a hello-world server and client in one process, on a free port.
// The server binds, serve() answers every "Hello" with "World", the client sends a few
// requests and awaits each reply, then both sockets close and Node exits 0 by itself.
//
//   node examples/demo.js [endpoint]           default tcp://127.0.0.1:* (any free port)
//   DEMO_ENDPOINT=tcp://127.0.0.1:5555 npm run demo

const { Reply, Request } = require('zeromq-napi');
const { exitOnAddressError, positionalArgs, reportFailure } = require('./lib/cli.js');

const USAGE = 'node examples/demo.js [endpoint]   (default $DEMO_ENDPOINT or tcp://127.0.0.1:*)';
const REQUESTS = 5;
// A demo must end by itself: if no reply comes within this time, fail instead of waiting.
const TIMEOUT_MS = 5000;

async function main() {
  const [endpoint = process.env.DEMO_ENDPOINT || 'tcp://127.0.0.1:*'] = positionalArgs(USAGE, 1);

  const server = new Reply();
  try {
    await server.bind(endpoint);
  } catch (err) {
    server.close();
    exitOnAddressError(USAGE, endpoint, err);
  }
  const address = server.lastEndpoint;
  if (address === null) throw new Error('bind() resolved but lastEndpoint is null');
  console.log(`server: listening on ${address}`);

  const serving = server.serve(([message]) => {
    console.log(`server: received ${message.toString()}, replying World`);
    return 'World';
  });

  const client = new Request({ receiveTimeout: TIMEOUT_MS });
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    client.close(); // rejects the pending request, which ends the loop
  });
  try {
    client.connect(address);
    for (let i = 1; i <= REQUESTS; i++) {
      console.log(`client: sending request ${i}: Hello`);
      const [reply] = await client.request('Hello');
      console.log(`client: received reply ${i}: ${reply.toString()}`);
    }
  } catch (err) {
    if (!interrupted) throw err;
    console.log('demo: interrupted');
  } finally {
    client.close();
    server.close(); // serve() resolves once its socket is closed
  }
  await serving;
  if (!interrupted) console.log('demo: done');
}

main().catch(reportFailure);
