// A client of broker.ts/broker.js, typed: request() with a timeout and retries (Lazy Pirate).
//
//   npx tsx examples/client.ts [frontend] [count]    default tcp://127.0.0.1:5559 10

import { isZmqError, Request } from 'zeromq-napi';

const TIMEOUT_MS = 2500;
const RETRIES = 3;

async function main(): Promise<void> {
  const [endpoint = 'tcp://127.0.0.1:5559', countText = '10'] = process.argv.slice(2);
  const count = Number(countText);
  if (!Number.isSafeInteger(count) || count < 1) {
    process.stderr.write(`error: count must be a whole number >= 1, got '${countText}'\n`);
    process.exit(2);
  }
  const req = new Request();
  req.connect(endpoint);
  process.once('SIGINT', () => req.close());
  console.log(`Client connecting to ${endpoint}`);
  try {
    for (let i = 1; i <= count; i++) {
      const [reply] = await req.request(`request ${i}`, { timeout: TIMEOUT_MS, retries: RETRIES });
      console.log(`Reply ${i}: ${reply.toString()}`);
    }
  } catch (err: unknown) {
    if (isZmqError(err) && err.code === 'EAGAIN' && !req.closed) {
      console.log(`No reply after ${RETRIES + 1} attempts of ${TIMEOUT_MS} ms: is the broker up, with a worker?`);
      process.exitCode = 1;
    } else if (!req.closed) {
      throw err;
    }
  } finally {
    req.close();
  }
}

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
