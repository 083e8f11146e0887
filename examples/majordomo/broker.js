// A Majordomo broker (MDP 0.2): clients and workers connect to one endpoint; requests are routed
// by service name to a free worker, queued while a service has none, and workers that stop
// heartbeating are purged. Ctrl-C stops it.
//
//   node examples/majordomo/broker.js [endpoint]        default tcp://127.0.0.1:5580
'use strict';

const { Broker } = require('zeromq-napi/majordomo');

async function main() {
  const [endpoint = 'tcp://127.0.0.1:5580'] = process.argv.slice(2);
  const broker = new Broker({ heartbeatInterval: Number(process.env.MDP_HEARTBEAT ?? 2500) });
  await broker.bind(endpoint);
  process.once('SIGINT', () => broker.close());
  console.log(`Majordomo broker on ${broker.lastEndpoint} (Ctrl-C to stop)`);
  await broker.run();
  console.log('Broker stopped.');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
