// Hello World reply server, typed (seed 004's "Typescript version" placeholder, written).
// The same program as reply.js, self-contained so it can be copied on its own:
//
//   npx tsx examples/reply.ts [endpoint]       default tcp://*:5560 (env WORK_MS=1000)

import { Reply } from 'zeromq-napi';

const USAGE = 'npx tsx examples/reply.ts [endpoint]   (default tcp://*:5560; env WORK_MS=1000)';

function usageError(problem: string): never {
  process.stderr.write(`error: ${problem}\nusage: ${USAGE}\n`);
  process.exit(2);
}

/**
 * The simulated work: resolves after `ms`, or never if `signal` aborts first. On Ctrl-C the
 * request being worked on is abandoned and no timer is left to keep Node running.
 */
function work(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return;
    const onAbort = (): void => clearTimeout(timer);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function errorCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

interface Config {
  endpoint: string;
  workMs: number;
}

function parseConfig(args: readonly string[]): Config {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`usage: ${USAGE}\n`);
    process.exit(0);
  }
  if (args.length > 1) usageError(`expected at most 1 argument, got ${args.length}`);
  const workText = process.env.WORK_MS ?? '';
  if (workText !== '' && !/^\d+$/.test(workText)) usageError(`WORK_MS must be a whole number of milliseconds, got '${workText}'`);
  return { endpoint: args[0] ?? 'tcp://*:5560', workMs: workText === '' ? 1000 : Number(workText) };
}

async function main(): Promise<void> {
  const { endpoint, workMs } = parseConfig(process.argv.slice(2));

  const rep = new Reply();
  try {
    await rep.bind(endpoint);
  } catch (err: unknown) {
    rep.close();
    const code = errorCode(err);
    // A mistyped address is the user's mistake: say so and show the usage, not a stack trace.
    if (code === 'EINVAL' || code === 'EPROTONOSUPPORT') usageError(`bad endpoint '${endpoint}' (${code})`);
    throw err;
  }
  // Ctrl-C closes the socket; serve() then resolves and Node exits 0 by itself. Installed
  // before the banner: whoever reads "bound to" may press Ctrl-C at once.
  const shutdown = new AbortController();
  process.once('SIGINT', () => {
    shutdown.abort(); // abandons the request being worked on
    rep.close();
  });
  console.log(`Reply server bound to ${rep.lastEndpoint} (Ctrl-C to stop)`);

  // The handler's return value is the reply, delivered to the client that sent `msg`.
  await rep.serve(async ([msg]: Buffer[]): Promise<string> => {
    console.log('received request:', msg.toString());
    await work(workMs, shutdown.signal);
    return 'World';
  });
  console.log('Reply server closed.');
}

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
