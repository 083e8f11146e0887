// A worker behind broker.ts/broker.js, typed: a Reply that connects to the broker's backend and
// answers "<request> handled by <name>" after WORK_MS ms.
//
//   npx tsx examples/worker.ts [backend] [name]    default tcp://127.0.0.1:5560 worker-<pid>

import { Reply } from 'zeromq-napi';

const USAGE = 'npx tsx examples/worker.ts [backend] [name]   (default tcp://127.0.0.1:5560 worker-<pid>; env WORK_MS=100)';

function workMs(): number {
  const text = process.env.WORK_MS ?? '';
  if (text === '') return 100;
  if (!/^\d+$/.test(text)) {
    process.stderr.write(`error: WORK_MS must be a whole number of ms, got '${text}'\nusage: ${USAGE}\n`);
    process.exit(2);
  }
  return Number(text);
}

/** Resolves after `ms`, or never once `signal` aborts (Ctrl-C abandons the request). */
function work(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return;
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  });
}

async function main(): Promise<void> {
  const [endpoint = 'tcp://127.0.0.1:5560', name = `worker-${process.pid}`] = process.argv.slice(2);
  const ms = workMs();
  const rep = new Reply();
  rep.connect(endpoint);
  const shutdown = new AbortController();
  process.once('SIGINT', () => {
    shutdown.abort();
    rep.close();
  });
  console.log(`Worker ${name} connecting to ${endpoint} (Ctrl-C to stop)`);
  await rep.serve(async ([request]: Buffer[]) => {
    console.log(`${name} received: ${request.toString()}`);
    await work(ms, shutdown.signal);
    return `${request.toString()} handled by ${name}`;
  });
  console.log(`Worker ${name} stopped.`);
}

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
