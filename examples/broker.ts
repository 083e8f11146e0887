// Request-reply broker, typed: the same program as broker.js, self-contained. A Router for
// clients, a Dealer for workers, and a Proxy forwarding between them inside the native engine.
//
//   npx tsx examples/broker.ts [frontend] [backend]    default tcp://*:5559 tcp://*:5560

import { Dealer, Proxy, Router } from 'zeromq-napi';

const USAGE = 'npx tsx examples/broker.ts [frontend] [backend]   (default tcp://*:5559 tcp://*:5560)';

function args(max: number): string[] {
  const list = process.argv.slice(2);
  if (list.includes('-h') || list.includes('--help')) {
    process.stdout.write(`usage: ${USAGE}\n`);
    process.exit(0);
  }
  if (list.length > max) {
    process.stderr.write(`error: expected at most ${max} arguments\nusage: ${USAGE}\n`);
    process.exit(2);
  }
  return list;
}

async function main(): Promise<void> {
  const [frontendAt = 'tcp://*:5559', backendAt = 'tcp://*:5560'] = args(2);
  const frontend = new Router();
  const backend = new Dealer();
  try {
    await frontend.bind(frontendAt);
    await backend.bind(backendAt);
  } catch (err: unknown) {
    frontend.close();
    backend.close();
    throw err;
  }
  const proxy = new Proxy(frontend, backend);
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

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
