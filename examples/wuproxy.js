'use strict';
// Weather forwarder (the zguide's wuproxy): an XSubscriber that publishers connect to and an
// XPublisher that subscribers connect to, joined by a Proxy inside the native engine. Updates go
// one way, subscriptions the other, so the publishers still send only what someone wants.
//
//   node examples/wuproxy.js [frontend] [backend]   default tcp://127.0.0.1:5559 tcp://127.0.0.1:5560

const { Proxy, XPublisher, XSubscriber } = require('zeromq-napi');

const USAGE = 'usage: node examples/wuproxy.js [frontend] [backend]';

/** -h prints the usage; a bad argument prints it on stderr and exits 2. @param {string} [bad] */
function usage(bad) {
  if (bad === undefined) {
    console.log(USAGE);
    process.exit(0);
  }
  console.error(`error: ${bad}\n${USAGE}`);
  process.exit(2);
}

async function main() {
  if (process.argv.includes('-h') || process.argv.includes('--help')) usage();
  const [frontend = 'tcp://127.0.0.1:5559', backend = 'tcp://127.0.0.1:5560'] = process.argv.slice(2);
  const xsub = new XSubscriber();
  const xpub = new XPublisher();
  await xsub.bind(frontend);
  await xpub.bind(backend);
  console.log(`Forwarding from ${xsub.lastEndpoint} to ${xpub.lastEndpoint} (Ctrl-C to stop)`);
  const proxy = new Proxy(xsub, xpub);
  const stop = () => proxy.terminate();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await proxy.run();
  xsub.close();
  xpub.close();
  console.log('Forwarder stopped.');
}

main().catch((err) => {
  console.error('error:', err);
  process.exitCode = 1;
});
