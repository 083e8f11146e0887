// @ts-check
'use strict';
// Command-line helpers shared by the demos. Every demo validates its arguments before it
// opens a socket, so a typo ends in a usage message instead of a socket that waits forever.

/** Exit status for a bad command line (the shell's usage-error convention). */
const USAGE_EXIT_CODE = 2;

/**
 * Prints `error: <problem>` and the usage line to stderr, then exits with status 2.
 * @param {string} usage e.g. `node examples/req.js [endpoint]`
 * @param {string} problem what was wrong with the command line
 * @returns {never}
 */
function usageError(usage, problem) {
  process.stderr.write(`error: ${problem}\nusage: ${usage}\n`);
  process.exit(USAGE_EXIT_CODE);
}

/**
 * The positional arguments, after handling `-h`/`--help` and rejecting extra arguments.
 * @param {string} usage
 * @param {number} max how many positional arguments the demo accepts
 * @returns {string[]}
 */
function positionalArgs(usage, max) {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`usage: ${usage}\n`);
    process.exit(0);
  }
  if (args.length > max) {
    usageError(usage, `expected at most ${max} argument(s), got ${args.length}: ${args.join(' ')}`);
  }
  return args;
}

/**
 * Parses a whole decimal integer in [min, max] (what Python's `int(arg)` accepts, minus `_`).
 * @param {string} usage
 * @param {string} name what the argument is, for the message
 * @param {string} text
 * @param {number} min
 * @param {number} max
 * @returns {number}
 */
function parseInteger(usage, name, text, min, max) {
  const value = /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    usageError(usage, `${name} must be a whole number from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

/**
 * A TCP port argument. Servers accept 0 = "any free port" (the bound port is printed).
 * @param {string} usage
 * @param {string} text
 * @param {{ allowZero: boolean }} opts
 * @returns {number}
 */
function parsePort(usage, text, opts) {
  return parseInteger(usage, 'port', text, opts.allowZero ? 0 : 1, 65535);
}

/**
 * The simulated "work" per request, in ms: `WORK_MS` from the environment, else the seed's value.
 * It is an environment variable, not an argument, so the command lines stay the seeds' own.
 * @param {string} usage
 * @param {number} defaultMs
 * @returns {number}
 */
function workMsFromEnv(usage, defaultMs) {
  const text = process.env.WORK_MS;
  if (text === undefined || text === '') return defaultMs;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) usageError(usage, `WORK_MS must be a whole number of milliseconds, got '${text}'`);
  return value;
}

/**
 * The string `code` of a zeromq-napi error (`'EAGAIN'`, `'EADDRINUSE'`...), if it has one.
 * @param {unknown} err
 * @returns {string | undefined}
 */
function errorCode(err) {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** Codes by which bind/connect reject an address the user typed wrong (a usage error, not a crash). */
const BAD_ADDRESS_CODES = new Set(['EINVAL', 'EPROTONOSUPPORT']);

/**
 * Exits for an endpoint that bind/connect refused: a mistyped address is a usage error (status 2),
 * anything else (`EADDRINUSE`: the port is taken) a plain error (status 1).
 * @param {string} usage
 * @param {string} endpoint
 * @param {unknown} err what bind() rejected with / connect() threw
 * @returns {never}
 */
function exitOnAddressError(usage, endpoint, err) {
  const code = errorCode(err);
  if (code !== undefined && BAD_ADDRESS_CODES.has(code)) usageError(usage, `bad endpoint '${endpoint}' (${code})`);
  process.stderr.write(`error: cannot use ${endpoint}: ${describeError(err)}\n`);
  process.exit(1);
}

/**
 * One line for an error: its message and code, e.g. `Address already in use (EADDRINUSE)`.
 * @param {unknown} err
 * @returns {string}
 */
function describeError(err) {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code === undefined || message.includes(code) ? message : `${message} (${code})`;
}

/**
 * The `.catch` of a demo's main(): prints the unexpected error and sets exit status 1. It does
 * not call process.exit, so sockets closed in `finally` blocks still flush before Node exits.
 * @param {unknown} err
 */
function reportFailure(err) {
  process.stderr.write(`error: ${describeError(err)}\n`);
  if (err instanceof Error && err.stack !== undefined) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
}

/**
 * The port of a resolved endpoint such as `tcp://127.0.0.1:41234` (from `sock.lastEndpoint`).
 * @param {string | null} endpoint
 * @returns {string}
 */
function portOf(endpoint) {
  const match = endpoint === null ? null : /:(\d+)$/.exec(endpoint);
  if (match === null) throw new Error(`no port in endpoint ${String(endpoint)}`);
  return match[1];
}

module.exports = {
  describeError,
  errorCode,
  exitOnAddressError,
  parseInteger,
  parsePort,
  portOf,
  positionalArgs,
  reportFailure,
  usageError,
  workMsFromEnv,
};
