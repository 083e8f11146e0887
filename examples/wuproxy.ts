// Weather forwarder (the zguide's wuproxy), typed: XSubscriber (publishers connect) and XPublisher
// (subscribers connect) joined by a Proxy in the native engine; subscriptions flow back upstream.
//
//   npx tsx examples/wuproxy.ts [frontend] [backend]   default tcp://127.0.0.1:5559 tcp://127.0.0.1:5560

import { Proxy, XPublisher, XSubscriber } from 'zeromq-napi';

const USAGE = 'usage: npx tsx examples/wuproxy.ts [frontend] [backend]';

/** -h prints the usage; a bad argument prints it on stderr and exits 2. */
function usage(bad?: string): never {
  if (bad === undefined) {
    console.log(USAGE);
    process.exit(0);
  }
  console.error(`error: ${bad}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  if (process.argv.includes('-h') || process.argv.includes('--help')) usage();
  const [frontend = 'tcp://127.0.0.1:5559', backend = 'tcp://127.0.0.1:5560'] = process.argv.slice(2);
  const xsub = new XSubscriber();
  const xpub = new XPublisher();
  await xsub.bind(frontend);
  await xpub.bind(backend);
  console.log(`Forwarding from ${xsub.lastEndpoint} to ${xpub.lastEndpoint} (Ctrl-C to stop)`);
  const proxy = new Proxy<XSubscriber, XPublisher>(xsub, xpub);
  const stop = (): void => proxy.terminate();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await proxy.run();
  xsub.close();
  xpub.close();
  console.log('Forwarder stopped.');
}

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
