'use strict';
// Task worker (the zguide's taskwork): a Pull that takes tasks from the ventilator
// (taskvent.js), works on each for its number of ms, and reports to the sink (tasksink.js)
// with a Push.
//
//   node examples/taskwork.js [ventilator] [sink] [name]
//   defaults: tcp://127.0.0.1:5557 tcp://127.0.0.1:5558 worker-<pid>

const { Pull, Push } = require('zeromq-napi');

const USAGE = 'usage: node examples/taskwork.js [ventilator] [sink] [name]';

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
  const [ventEndpoint = 'tcp://127.0.0.1:5557', sinkEndpoint = 'tcp://127.0.0.1:5558', name = `worker-${process.pid}`] =
    process.argv.slice(2);
  const tasks = new Pull();
  const results = new Push();
  tasks.connect(ventEndpoint);
  results.connect(sinkEndpoint);
  const stop = () => {
    tasks.close();
    results.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`Worker ${name} ready (Ctrl-C to stop)`);
  for await (const [, id, ms] of tasks) {
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    await results.send(['done', id, name]);
  }
  console.log(`Worker ${name} stopped.`);
}

main().catch((err) => {
  console.error('error:', err);
  process.exitCode = 1;
});
