// Task ventilator (the zguide's taskvent), typed: a Push that hands out `tasks` tasks round-robin
// to the workers (taskwork.ts) once `workers` of them are connected, after telling the sink
// (tasksink.ts) how many results to expect. A Push never drops: past the high-water mark a send
// waits for a worker to take its share.
//
//   npx tsx examples/taskvent.ts [endpoint] [sink] [tasks] [workers]
//   defaults: tcp://127.0.0.1:5557 tcp://127.0.0.1:5558 100 1; WORK_MS = most ms one task takes (100)

import { Push } from 'zeromq-napi';

const USAGE = 'usage: npx tsx examples/taskvent.ts [endpoint] [sink] [tasks] [workers]';

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
  const [endpoint = 'tcp://127.0.0.1:5557', sinkEndpoint = 'tcp://127.0.0.1:5558', tasks = '100', workers = '1'] =
    process.argv.slice(2);
  if (!/^\d+$/.test(tasks)) usage(`tasks must be a whole number, got '${tasks}'`);
  if (!/^\d+$/.test(workers)) usage(`workers must be a whole number, got '${workers}'`);
  const most = Number(process.env.WORK_MS ?? '100');
  const vent = new Push();
  // Ctrl-C: close and exit 0, as every demo does.
  process.once('SIGINT', () => {
    vent.close();
    process.exit(0);
  });
  let connected = 0;
  const allThere = new Promise<void>((resolve) => {
    vent.events.on('handshake', () => {
      if (++connected === Number(workers)) resolve();
    });
  });
  await vent.bind(endpoint);
  console.log(`Ventilator on ${vent.lastEndpoint}, waiting for ${workers} worker(s)`);
  await allThere;
  const sink = new Push();
  sink.connect(sinkEndpoint);
  await sink.send(['start', tasks]);
  let cost = 0;
  for (let i = 0; i < Number(tasks); i++) {
    const ms = Math.floor(Math.random() * (most + 1));
    cost += ms;
    await vent.send(['task', String(i), String(ms)]);
  }
  console.log(`Sent ${tasks} tasks, ${cost} ms of work in all`);
  // close() keeps delivering what is queued (linger).
  vent.close();
  sink.close();
}

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
