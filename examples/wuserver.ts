// Weather update server (the zguide's wuserver), typed: a Publisher sending "zipcode temperature
// humidity" updates; subscribers pick their zipcode by prefix, matched in the native engine.
//
//   npx tsx examples/wuserver.ts [endpoint] [--connect]   default tcp://127.0.0.1:5556 (bind)

import { Publisher } from 'zeromq-napi';

const USAGE = 'usage: npx tsx examples/wuserver.ts [endpoint] [--connect]';

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
  const args = process.argv.slice(2);
  const connect = args.includes('--connect');
  const [endpoint = 'tcp://127.0.0.1:5556'] = args.filter((a) => a !== '--connect');
  const pub = new Publisher();
  if (connect) pub.connect(endpoint);
  else await pub.bind(endpoint);
  console.log(`Publishing weather on ${connect ? endpoint : pub.lastEndpoint} (Ctrl-C to stop)`);
  const stop = (): void => pub.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let n = 0;
  while (!pub.closed) {
    const zipcode = String(10000 + Math.floor(Math.random() * 10)).padStart(5, '0');
    const temperature = Math.floor(Math.random() * 215) - 80;
    const humidity = Math.floor(Math.random() * 50) + 10;
    await pub.send(`${zipcode} ${temperature} ${humidity}`);
    // A publisher never waits: let the event loop (and Ctrl-C) in now and then.
    if (++n % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  console.log('Publisher stopped.');
}

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
