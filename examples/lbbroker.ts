// Load-balancing broker, typed: the same program as lbbroker.js. Workers (Request sockets) say
// READY; each client request goes to a worker that is free, so a slow worker holds up no one.
//
//   npx tsx examples/lbbroker.ts [frontend] [backend]   default tcp://*:5571 tcp://*:5572

import { Router } from 'zeromq-napi';

/** The workers waiting for work, longest-waiting first, and a way to wait for one. */
class FreeWorkers {
  private readonly ids: Buffer[] = [];
  private waiting: ((id: Buffer) => void) | undefined;

  add(id: Buffer): void {
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      waiting(id);
    } else {
      this.ids.push(id);
    }
  }

  next(): Promise<Buffer> {
    const id = this.ids.shift();
    if (id !== undefined) return Promise.resolve(id);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }
}

/** [worker, '', 'READY'] frees a worker; [worker, '', client, '', ...reply] also answers a client. */
async function fromWorkers(backend: Router, frontend: Router, free: FreeWorkers): Promise<void> {
  for await (const [worker, , ...rest] of backend) {
    if (rest.length >= 3) {
      const [client, , ...reply] = rest;
      await frontend.send([client, '', ...reply]);
    }
    free.add(worker);
  }
}

/** Takes a client request only once a worker is free for it. */
async function fromClients(frontend: Router, backend: Router, free: FreeWorkers): Promise<void> {
  for (;;) {
    const worker = await free.next();
    if (frontend.closed) return;
    let request: Buffer[];
    try {
      request = await frontend.receive();
    } catch (err: unknown) {
      if (frontend.closed) return;
      throw err;
    }
    const [client, , ...body] = request;
    await backend.send([worker, '', client, '', ...body]);
  }
}

async function main(): Promise<void> {
  const [frontendAt = 'tcp://*:5571', backendAt = 'tcp://*:5572'] = process.argv.slice(2);
  const frontend = new Router();
  const backend = new Router();
  try {
    await frontend.bind(frontendAt);
    await backend.bind(backendAt);
  } catch (err: unknown) {
    frontend.close();
    backend.close();
    throw err;
  }
  const free = new FreeWorkers();
  process.once('SIGINT', () => {
    frontend.close();
    backend.close();
    free.add(Buffer.alloc(0));
  });
  console.log(`Load-balancing broker: clients on ${frontend.lastEndpoint}, workers on ${backend.lastEndpoint} (Ctrl-C to stop)`);
  await Promise.all([fromWorkers(backend, frontend, free), fromClients(frontend, backend, free)]);
  console.log('Broker stopped.');
}

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
