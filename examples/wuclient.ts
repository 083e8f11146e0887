// Weather update client (the zguide's wuclient), typed: subscribes to one zipcode, takes `updates`
// updates and prints their average temperature.
//
//   npx tsx examples/wuclient.ts [endpoint] [zipcode] [updates]   default tcp://127.0.0.1:5556 10001 20

import { Subscriber } from 'zeromq-napi';

const USAGE = 'usage: npx tsx examples/wuclient.ts [endpoint] [zipcode] [updates]';

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
  const [endpoint = 'tcp://127.0.0.1:5556', zipcode = '10001', updates = '20'] = process.argv.slice(2);
  if (!/^\d+$/.test(updates)) usage(`updates must be a whole number, got '${updates}'`);
  const sub = new Subscriber();
  // Ctrl-C: close and exit 0, as every demo does.
  process.once('SIGINT', () => {
    sub.close();
    process.exit(0);
  });
  // The trailing space keeps "10001" from matching "100010".
  sub.subscribe(`${zipcode} `);
  sub.connect(endpoint);
  console.log(`Collecting ${updates} updates for zipcode ${zipcode} from ${endpoint}`);
  let total = 0;
  for (let i = 0; i < Number(updates); i++) {
    const [update] = await sub.receive();
    const [zip, temperature] = update.toString().split(' ');
    if (zip !== zipcode) throw new Error(`got an update for ${zip}, subscribed to ${zipcode}`);
    total += Number(temperature);
  }
  console.log(`Average temperature for zipcode ${zipcode} was ${(total / Number(updates)).toFixed(1)}F`);
  sub.close();
}

main().catch((err: unknown) => {
  console.error('error:', err);
  process.exitCode = 1;
});
