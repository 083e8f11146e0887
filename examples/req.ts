// Hello World request client, typed (seed 004's "Typescript version" placeholder, written).
// The same program as req.js, self-contained so it can be copied on its own:
//
//   npx tsx examples/req.ts [endpoint]         default tcp://127.0.0.1:5560

import { Request } from 'zeromq-napi';

const USAGE = 'npx tsx examples/req.ts [endpoint]   (default tcp://127.0.0.1:5560)';
const REQUESTS = 10;

function usageError(problem: string): never {
  process.stderr.write(`error: ${problem}\nusage: ${USAGE}\n`);
  process.exit(2);
}

function errorCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function parseEndpoint(args: readonly string[]): string {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`usage: ${USAGE}\n`);
    process.exit(0);
  }
  if (args.length > 1) usageError(`expected at most 1 argument, got ${args.length}`);
  return args[0] ?? 'tcp://127.0.0.1:5560';
}

async function main(): Promise<void> {
  const endpoint = parseEndpoint(process.argv.slice(2));

  const req = new Request();
  try {
    // Returns at once; the first request waits until the connection is up.
    req.connect(endpoint);
  } catch (err: unknown) {
    req.close();
    const code = errorCode(err);
    if (code === 'EINVAL' || code === 'EPROTONOSUPPORT') usageError(`bad endpoint '${endpoint}' (${code})`);
    throw err;
  }
  // Ctrl-C closes the socket, which rejects the pending request and so ends the loop.
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    req.close();
  });
  console.log(`Connecting to ${endpoint} ...`);

  try {
    for (let i = 1; i <= REQUESTS; i++) {
      console.log(`Sending request ${i}: Hello`);
      // Each await resolves with the reply to this very request: no callback to pair by hand.
      const [reply]: Buffer[] = await req.request('Hello');
      console.log(`Received reply ${i}: ${reply.toString()}`);
    }
  } catch (err: unknown) {
    if (!interrupted) throw err;
    console.log('Interrupted.');
  } finally {
    req.close();
  }
}

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
