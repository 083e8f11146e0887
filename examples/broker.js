// @ts-check
'use strict';
// Request-reply broker (zguide "rrbroker"; seed 004's workers): clients' Request sockets connect
// to a Router (frontend), workers' Reply sockets connect to a Dealer (backend), and a Proxy
// forwards between them inside the native engine, no JavaScript per message. The Dealer hands
// requests to the workers round-robin; each reply finds its way back by the envelope the Router
// put in front of the request.
//
//   node examples/broker.js [frontend] [backend]    default tcp://*:5559 tcp://*:5560
//   node examples/worker.js & node examples/client.js

const { Dealer, Proxy, Router } = require('zeromq-napi');
const { exitOnAddressError, positionalArgs, reportFailure } = require('./lib/cli.js');

const USAGE = 'node examples/broker.js [frontend] [backend]   (default tcp://*:5559 tcp://*:5560)';

async function main() {
  const [frontendAt = 'tcp://*:5559', backendAt = 'tcp://*:5560'] = positionalArgs(USAGE, 2);
  const frontend = new Router();
  const backend = new Dealer();
  for (const [sock, endpoint] of /** @type {const} */ ([[frontend, frontendAt], [backend, backendAt]])) {
    try {
      await sock.bind(endpoint);
    } catch (err) {
      frontend.close();
      backend.close();
      exitOnAddressError(USAGE, endpoint, err);
    }
  }
  const proxy = new Proxy(frontend, backend);
  // Ctrl-C stops the proxy; run() then resolves and the sockets are closed below.
  process.once('SIGINT', () => proxy.terminate());
  console.log(`Broker: clients on ${frontend.lastEndpoint}, workers on ${backend.lastEndpoint} (Ctrl-C to stop)`);
  try {
    await proxy.run();
  } finally {
    frontend.close();
    backend.close();
  }
  console.log('Broker stopped.');
}

main().catch(reportFailure);
