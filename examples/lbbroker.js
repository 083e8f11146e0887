// @ts-check
'use strict';
// Load-balancing broker (the zguide's "lbbroker"): clients' Request sockets connect to one Router
// (frontend), workers' Request sockets connect to another (backend) and announce "READY". The
// broker hands each client request to a worker that is free, and only to a free one: a slow
// worker holds up nobody but the client it is working for (a Dealer backend would deal requests
// round-robin, queueing them behind the slow worker).
//
// Envelopes, as the Routers see them:
//   client -> frontend: [client id, '', request]
//   worker -> backend:  [worker id, '', 'READY']  or  [worker id, '', client id, '', reply]
//
//   node examples/lbbroker.js [frontend] [backend]   default tcp://*:5571 tcp://*:5572
//   node examples/lbworker.js & node examples/client.js tcp://127.0.0.1:5571

const { Router } = require('zeromq-napi');
const { exitOnAddressError, positionalArgs, reportFailure } = require('./lib/cli.js');

const USAGE = 'node examples/lbbroker.js [frontend] [backend]   (default tcp://*:5571 tcp://*:5572)';

/** The ids of the workers waiting for work, and a way to wait until there is one. */
class FreeWorkers {
  /** @type {Buffer[]} */
  #ids = [];
  /** @type {((id: Buffer) => void) | undefined} */
  #waiting;

  /** @param {Buffer} id */
  add(id) {
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting(id);
    } else {
      this.#ids.push(id);
    }
  }

  /** @returns {Promise<Buffer>} the worker that has been free longest */
  next() {
    const id = this.#ids.shift();
    if (id !== undefined) return Promise.resolve(id);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }
}

/**
 * Workers' messages: READY makes a worker free; a reply goes back to its client and frees it too.
 * @param {Router} backend
 * @param {Router} frontend
 * @param {FreeWorkers} free
 */
async function fromWorkers(backend, frontend, free) {
  for await (const [worker, , ...rest] of backend) {
    if (rest.length >= 3) {
      const [client, , ...reply] = rest;
      await frontend.send([client, '', ...reply]);
    }
    free.add(worker);
  }
}

/**
 * Clients' requests, each taken only once a worker is free for it.
 * @param {Router} frontend
 * @param {Router} backend
 * @param {FreeWorkers} free
 */
async function fromClients(frontend, backend, free) {
  for (;;) {
    const worker = await free.next();
    if (frontend.closed) return;
    let request;
    try {
      request = await frontend.receive();
    } catch (err) {
      if (frontend.closed) return;
      throw err;
    }
    const [client, , ...body] = request;
    await backend.send([worker, '', client, '', ...body]);
  }
}

async function main() {
  const [frontendAt = 'tcp://*:5571', backendAt = 'tcp://*:5572'] = positionalArgs(USAGE, 2);
  const frontend = new Router();
  const backend = new Router();
  for (const [sock, endpoint] of /** @type {const} */ ([[frontend, frontendAt], [backend, backendAt]])) {
    try {
      await sock.bind(endpoint);
    } catch (err) {
      frontend.close();
      backend.close();
      exitOnAddressError(USAGE, endpoint, err);
    }
  }
  const free = new FreeWorkers();
  process.once('SIGINT', () => {
    frontend.close();
    backend.close();
    // Wakes fromClients if it waits for a worker; it sees the closed socket and returns.
    free.add(Buffer.alloc(0));
  });
  console.log(`Load-balancing broker: clients on ${frontend.lastEndpoint}, workers on ${backend.lastEndpoint} (Ctrl-C to stop)`);
  await Promise.all([fromWorkers(backend, frontend, free), fromClients(frontend, backend, free)]);
  console.log('Broker stopped.');
}

main().catch(reportFailure);
