// Task sink (the zguide's tasksink), typed: a Pull that the ventilator (taskvent.ts) tells how
// many results to expect and the workers (taskwork.ts) send them to; prints how long the batch
// took and how the work was shared.
//
//   npx tsx examples/tasksink.ts [endpoint]   default tcp://127.0.0.1:5558

import { Pull } from 'zeromq-napi';

async function main(): Promise<void> {
  const [endpoint = 'tcp://127.0.0.1:5558'] = process.argv.slice(2);
  const sink = new Pull();
  await sink.bind(endpoint);
  console.log(`Sink on ${sink.lastEndpoint}`);
  const [kind, count] = await sink.receive();
  if (kind.toString() !== 'start') throw new Error(`expected the start of a batch, got ${kind.toString()}`);
  const started = Date.now();
  const byWorker = new Map<string, number>();
  const seen = new Set<string>();
  for (let i = 0; i < Number(count); i++) {
    const [, id, worker] = await sink.receive();
    seen.add(id.toString());
    byWorker.set(worker.toString(), (byWorker.get(worker.toString()) ?? 0) + 1);
  }
  const shares = [...byWorker].map(([worker, n]) => `${worker}: ${n}`).join(', ');
  console.log(`Received ${seen.size} distinct results of ${count} in ${Date.now() - started} ms (${shares})`);
  sink.close();
}

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
