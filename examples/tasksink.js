'use strict';
// Task sink (the zguide's tasksink): a Pull that the ventilator (taskvent.js) tells how
// many results to expect and the workers (taskwork.js) send them to; prints how long the batch
// took and how the work was shared.
//
//   node examples/tasksink.js [endpoint]   default tcp://127.0.0.1:5558

const { Pull } = require('zeromq-napi');

const USAGE = 'usage: node examples/tasksink.js [endpoint]';

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
  const [endpoint = 'tcp://127.0.0.1:5558'] = process.argv.slice(2);
  const sink = new Pull();
  // Ctrl-C: close and exit 0, as every demo does.
  process.once('SIGINT', () => {
    sink.close();
    process.exit(0);
  });
  await sink.bind(endpoint);
  console.log(`Sink on ${sink.lastEndpoint}`);
  const byWorker = new Map();
  const seen = new Set();
  let taken = 0;
  /** @param {Buffer} id @param {Buffer} worker */
  const take = (id, worker) => {
    seen.add(id.toString());
    byWorker.set(worker.toString(), (byWorker.get(worker.toString()) ?? 0) + 1);
    taken++;
  };
  // The start comes over the ventilator's own connection, the results over the workers': ZeroMQ
  // orders messages per connection only, so a quick result may arrive first. It is counted too.
  let count = NaN;
  while (Number.isNaN(count)) {
    const [kind, a, b] = await sink.receive();
    if (kind.toString() === 'start') count = Number(a);
    else take(a, b);
  }
  const started = Date.now();
  while (taken < count) {
    const [, id, worker] = await sink.receive();
    take(id, worker);
  }
  const shares = [...byWorker].map(([worker, n]) => `${worker}: ${n}`).join(', ');
  console.log(`Received ${seen.size} distinct results of ${count} in ${Date.now() - started} ms (${shares})`);
  sink.close();
}

main().catch((err) => {
  console.error('error:', err);
  process.exitCode = 1;
});
