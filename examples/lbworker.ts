// A worker of lbbroker.ts/lbbroker.js, typed: a Request socket that says READY, then answers
// each job it is handed (the reply carries the client's envelope back), one at a time.
//
//   npx tsx examples/lbworker.ts [backend] [name]    default tcp://127.0.0.1:5572 lbworker-<pid>

import { type MessageLike, Request } from 'zeromq-napi';

function workMs(): number {
  const text = process.env.WORK_MS ?? '';
  if (text === '') return 100;
  if (!/^\d+$/.test(text)) {
    process.stderr.write(`error: WORK_MS must be a whole number of ms, got '${text}'\n`);
    process.exit(2);
  }
  return Number(text);
}

function work(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return;
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  });
}

async function main(): Promise<void> {
  const [endpoint = 'tcp://127.0.0.1:5572', name = `lbworker-${process.pid}`] = process.argv.slice(2);
  const ms = workMs();
  const req = new Request({ routingId: name });
  req.connect(endpoint);
  const shutdown = new AbortController();
  process.once('SIGINT', () => {
    shutdown.abort();
    req.close();
  });
  console.log(`Worker ${name} connecting to ${endpoint} (Ctrl-C to stop)`);
  try {
    let next: [MessageLike, ...MessageLike[]] = ['READY'];
    for (;;) {
      const [client, , ...request] = await req.request(next);
      const text = request.map(String).join(' ');
      console.log(`${name} received: ${text}`);
      await work(ms, shutdown.signal);
      next = [client, '', `${text} handled by ${name}`];
    }
  } catch (err: unknown) {
    if (!req.closed) throw err;
  }
  console.log(`Worker ${name} stopped.`);
}

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
