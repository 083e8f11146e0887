// A Majordomo client: asks the broker which services are up (MMI), sends requests to "echo" with
// a timeout and retries (a late reply to an abandoned attempt is discarded), all in flight at
// once, and streams a "countdown".
//
//   node examples/majordomo/client.js [endpoint] [requests]    default tcp://127.0.0.1:5580 5
'use strict';

const { Client } = require('zeromq-napi/majordomo');

async function main() {
  const [endpoint = 'tcp://127.0.0.1:5580', count = '5'] = process.argv.slice(2);
  const client = new Client();
  client.connect(endpoint);
  try {
    const retry = { timeout: 1000, retries: 3 };
    for (const service of ['echo', 'countdown', 'weather']) {
      const [code] = await client.request('mmi.service', service, retry);
      console.log(`Service ${service}: ${code.toString() === '200' ? 'up' : 'not available'} (${code})`);
    }
    const replies = await Promise.all(
      Array.from({ length: Number(count) }, (_, i) => client.request('echo', `hello ${i + 1}`, retry)),
    );
    replies.forEach((reply, i) => console.log(`Reply ${i + 1}: ${reply.map(String).join(' / ')}`));
    const parts = [];
    for await (const part of client.stream('countdown', '3', retry)) parts.push(part.toString());
    console.log(`Countdown: ${parts.join(', ')}`);
  } finally {
    client.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
