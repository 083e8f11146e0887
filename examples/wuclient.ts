// Weather update client (the zguide's wuclient), typed: subscribes to one zipcode, takes `updates`
// updates and prints their average temperature.
//
//   npx tsx examples/wuclient.ts [endpoint] [zipcode] [updates]   default tcp://127.0.0.1:5556 10001 20

import { Subscriber } from 'zeromq-napi';

async function main(): Promise<void> {
  const [endpoint = 'tcp://127.0.0.1:5556', zipcode = '10001', updates = '20'] = process.argv.slice(2);
  const sub = new Subscriber();
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
