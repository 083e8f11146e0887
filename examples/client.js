// @ts-check
'use strict';
// A client of examples/broker.js: request() with a timeout and retries (the zguide's Lazy
// Pirate): an attempt that gets no reply in time, or whose connection is lost, is sent again, to
// the next live server; only when every retry failed does it reject EAGAIN.
//
//   node examples/client.js [frontend] [count]    default tcp://127.0.0.1:5559 10

const { Request } = require('zeromq-napi');
const { errorCode, exitOnAddressError, parseInteger, positionalArgs, reportFailure } = require('./lib/cli.js');

const USAGE = 'node examples/client.js [frontend] [count]   (default tcp://127.0.0.1:5559 10)';
const TIMEOUT_MS = 2500;
const RETRIES = 3;

async function main() {
  const [endpoint = 'tcp://127.0.0.1:5559', countText = '10'] = positionalArgs(USAGE, 2);
  const count = parseInteger(USAGE, 'count', countText, 1, 1_000_000);
  const req = new Request();
  try {
    req.connect(endpoint);
  } catch (err) {
    req.close();
    exitOnAddressError(USAGE, endpoint, err);
  }
  process.once('SIGINT', () => req.close());
  console.log(`Client connecting to ${endpoint}`);
  try {
    for (let i = 1; i <= count; i++) {
      const [reply] = await req.request(`request ${i}`, { timeout: TIMEOUT_MS, retries: RETRIES });
      console.log(`Reply ${i}: ${reply.toString()}`);
    }
  } catch (err) {
    if (errorCode(err) === 'EAGAIN' && !req.closed) {
      console.log(`No reply after ${RETRIES + 1} attempts of ${TIMEOUT_MS} ms: is the broker up, with a worker?`);
      process.exitCode = 1;
    } else if (!req.closed) {
      throw err;
    }
  } finally {
    req.close();
  }
}

main().catch(reportFailure);
