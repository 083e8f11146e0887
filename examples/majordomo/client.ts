// A Majordomo client, typed: asks the broker which services are up (MMI), sends requests to
// "echo" with a timeout and retries (a late reply to an abandoned attempt is discarded), all in
// flight at once, and streams a "countdown".
//
//   npx tsx examples/majordomo/client.ts [endpoint] [requests]   default tcp://127.0.0.1:5580 5

import { Client, type ClientCallOptions } from 'zeromq-napi/majordomo';

async function main(): Promise<void> {
  const [endpoint = 'tcp://127.0.0.1:5580', count = '5'] = process.argv.slice(2);
  const client = new Client();
  client.connect(endpoint);
  try {
    const retry: ClientCallOptions = { timeout: 1000, retries: 3 };
    for (const service of ['echo', 'countdown', 'weather']) {
      const [code] = await client.request('mmi.service', service, retry);
      console.log(`Service ${service}: ${code.toString() === '200' ? 'up' : 'not available'} (${code})`);
    }
    const replies = await Promise.all(
      Array.from({ length: Number(count) }, (_, i) => client.request('echo', `hello ${i + 1}`, retry)),
    );
    replies.forEach((reply, i) => console.log(`Reply ${i + 1}: ${reply.map(String).join(' / ')}`));
    const parts: string[] = [];
    for await (const part of client.stream('countdown', '3', retry)) parts.push(part.toString());
    console.log(`Countdown: ${parts.join(', ')}`);
  } finally {
    client.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
