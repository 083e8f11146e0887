'use strict';
// Weather update server (the zguide's wuserver): a Publisher sending "zipcode temperature humidity"
// updates as fast as it can, a little pause every 100. Subscribers pick their zipcode by prefix;
// the matching happens in the native engine, so updates nobody wants never reach JavaScript.
//
//   node examples/wuserver.js [endpoint] [--connect]   default tcp://127.0.0.1:5556 (bind)
//   --connect: connect to the endpoint instead (to wuproxy.js's frontend)

const { Publisher } = require('zeromq-napi');

const USAGE = 'usage: node examples/wuserver.js [endpoint] [--connect]';

/** -h prints the usage; a bad argument prints it on stderr and exits 2. @param {string} [bad] */
function usage(bad) {
  if (bad === undefined) {
    console.log(USAGE);
    process.exit(0);
  }
  console.error(`error: ${bad}\n${USAGE}`);
  process.exit(2);
}

async function main() {
  if (process.argv.includes('-h') || process.argv.includes('--help')) usage();
  const args = process.argv.slice(2);
  const connect = args.includes('--connect');
  const [endpoint = 'tcp://127.0.0.1:5556'] = args.filter((a) => a !== '--connect');
  const pub = new Publisher();
  if (connect) pub.connect(endpoint);
  else await pub.bind(endpoint);
  console.log(`Publishing weather on ${connect ? endpoint : pub.lastEndpoint} (Ctrl-C to stop)`);
  const stop = () => pub.close();
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

main().catch((err) => {
  console.error('error:', err);
  process.exitCode = 1;
});
