// Task worker (the zguide's taskwork), typed: a Pull that takes tasks from the ventilator
// (taskvent.ts), works on each for its number of ms, and reports to the sink (tasksink.ts)
// with a Push.
//
//   npx tsx examples/taskwork.ts [ventilator] [sink] [name]
//   defaults: tcp://127.0.0.1:5557 tcp://127.0.0.1:5558 worker-<pid>

import { Pull, Push } from 'zeromq-napi';

const USAGE = 'usage: npx tsx examples/taskwork.ts [ventilator] [sink] [name]';

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
  const [ventEndpoint = 'tcp://127.0.0.1:5557', sinkEndpoint = 'tcp://127.0.0.1:5558', name = `worker-${process.pid}`] =
    process.argv.slice(2);
  const tasks = new Pull();
  const results = new Push();
  tasks.connect(ventEndpoint);
  results.connect(sinkEndpoint);
  const stop = (): void => {
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

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
