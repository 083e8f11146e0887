// @ts-check
'use strict';
// Multiply service (seed 002's multiply_server.py, in JavaScript).
// Answers each request with the number times the multiplier, written exactly as the Python
// server writes it (`str(float(line) * multiplier)`: "200.0", "2.5", "1e+16"), or
// "not a 'float'" when Python's float() would reject the line. Python clients cannot tell the
// two servers apart.
//
//   node examples/multiply_server.js [multiplier] [port] [host]   defaults 2, 2345, 127.0.0.1; port 0 = any free port

const { Reply } = require('zeromq-napi');
const {
  exitOnAddressError,
  parseInteger,
  parsePort,
  portOf,
  positionalArgs,
  reportFailure,
} = require('./lib/cli.js');
const { formatPythonFloat, parsePythonFloat } = require('./lib/python-float.js');

const USAGE = 'node examples/multiply_server.js [multiplier] [port] [host]   (defaults 2, 2345, 127.0.0.1; port 0 = any free port)';

/**
 * The reply to one request line, as the Python seed computes it.
 * @param {string} line
 * @param {number} multiplier
 * @returns {string}
 */
function multiply(line, multiplier) {
  const input = parsePythonFloat(line);
  return input === null ? "not a 'float'" : formatPythonFloat(input * multiplier);
}

async function main() {
  const [multiplierText = '2', portText = '2345', host = '127.0.0.1'] = positionalArgs(USAGE, 3);
  // Whole numbers only, like the seed's int(sys.argv[1]).
  const multiplier = parseInteger(USAGE, 'multiplier', multiplierText, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const port = parsePort(USAGE, portText, { allowZero: true });
  const endpoint = `tcp://${host}:${port}`;

  const rep = new Reply();
  try {
    await rep.bind(endpoint);
  } catch (err) {
    rep.close();
    exitOnAddressError(USAGE, endpoint, err);
  }
  process.once('SIGINT', () => rep.close()); // Ctrl-C: serve() resolves, Node exits 0
  // The seed's banner, with the port actually bound (it differs from the argument for port 0).
  console.log(`Waiting for clients on port '${portOf(rep.lastEndpoint)}' on host '${host}'.`);

  await rep.serve(([message]) => {
    const line = message.toString('utf8');
    const output = multiply(line, multiplier);
    console.log(`received: ${line} sending: ${output}`);
    return output;
  });
}

main().catch(reportFailure);
