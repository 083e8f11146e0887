// @ts-check
'use strict';
// Multiply client (seed 002's multiply_client.py, in JavaScript).
// Reads numbers from stdin, one per line, sends each to the multiply server and prints the
// reply. It prompts only when stdin is a terminal, so `printf '100\n2.5\n' | node ...` prints
// just the replies, and it exits 0 at the end of the input (Ctrl-D) or on Ctrl-C.
//
//   node examples/multiply_client.js [port] [host]   defaults 2345, 127.0.0.1

const readline = require('node:readline');
const { Request } = require('zeromq-napi');
const { exitOnAddressError, parsePort, positionalArgs, reportFailure } = require('./lib/cli.js');

const USAGE = 'node examples/multiply_client.js [port] [host]   (defaults 2345, 127.0.0.1)';
const PROMPT = 'give a number to multiply: ';

async function main() {
  const [portText = '2345', host = '127.0.0.1'] = positionalArgs(USAGE, 2);
  const port = parsePort(USAGE, portText, { allowZero: false });
  const endpoint = `tcp://${host}:${port}`;

  const req = new Request();
  try {
    req.connect(endpoint);
  } catch (err) {
    req.close();
    exitOnAddressError(USAGE, endpoint, err);
  }
  const interactive = process.stdin.isTTY === true;
  const lines = readline.createInterface({
    input: process.stdin,
    output: interactive ? process.stdout : undefined,
    terminal: interactive,
  });
  lines.setPrompt(PROMPT);

  let interrupted = false;
  const stop = () => {
    interrupted = true;
    lines.close(); // ends the for-await below
    req.close(); // rejects a pending request
  };
  process.once('SIGINT', stop);
  // In a terminal readline receives Ctrl-C itself (and would only pause without this).
  lines.once('SIGINT', stop);
  console.log(`Connecting to port '${port}' of host '${host}'.`);

  try {
    if (interactive) lines.prompt();
    for await (const line of lines) {
      const [reply] = await req.request(line);
      console.log(reply.toString('utf8'));
      if (interactive) lines.prompt();
    }
  } catch (err) {
    if (!interrupted) throw err;
  } finally {
    if (interactive) process.stdout.write('\n'); // end the prompt line left by Ctrl-D / Ctrl-C
    lines.close();
    req.close();
  }
}

main().catch(reportFailure);
