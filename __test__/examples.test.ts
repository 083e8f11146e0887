// The demos in examples/ are run here the way a user runs them: as child processes, on free
// loopback ports, checking what they print and how they exit. The seeds' Python programs
// (examples/python/, pyzmq = libzmq) are the interop peers.
//
// Ports: JS servers bind port 0 / `tcp://127.0.0.1:*` and the test reads the bound port from
// their first line (race-free). Python servers take a port number, so those get one from the OS
// just before they start.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { pythonWithPyzmq } from './python';

const ROOT = path.resolve(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'examples');
// One step (a line to appear, a process to exit). Generous: six builds share two cores.
const STEP_MS = 15_000;
const TEST_MS = 60_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

type Env = Record<string, string | undefined>;

/** Every child still running, so `after` can kill what a failed test left behind. */
const live = new Set<ChildProcessWithoutNullStreams>();

after(() => {
  for (const child of live) child.kill('SIGKILL');
});

function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A running demo: its stdout lines as they arrive, its stderr, and its exit. */
class Proc {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  private partial = '';
  private stderrText = '';
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    env: Env,
  ) {
    const childEnv: Env = { ...process.env, ...env };
    // The test runner's marker must not make a child think it is a test file.
    delete childEnv.NODE_TEST_CONTEXT;
    this.child = spawn(command, args, { cwd: ROOT, env: childEnv, stdio: 'pipe' });
    live.add(this.child);
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const wake of this.waiters) wake();
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderrText += chunk;
    });
    // 'close' (not 'exit'): all output has been read by then.
    this.exited = new Promise<Exit>((resolve) => {
      this.child.once('close', (code, signal) => {
        live.delete(this.child);
        for (const wake of this.waiters) wake();
        resolve({ code, signal });
      });
    });
  }

  /** Everything printed on stdout so far, including an unfinished last line (a prompt). */
  get stdout(): string {
    return this.lines.map((line) => `${line}\n`).join('') + this.partial;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** For assertion messages: what the process printed. */
  report(): string {
    return `--- ${this.name} stdout:\n${this.stdout}\n--- ${this.name} stderr:\n${this.stderr}`;
  }

  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
  waitForLine(pattern: RegExp): Promise<RegExpMatchArray> {
    const found = new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = (): void => {
        for (const line of this.lines) {
          const match = pattern.exec(line);
          if (match !== null) {
            this.waiters.delete(check);
            resolve(match);
            return;
          }
        }
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          this.waiters.delete(check);
          reject(new Error(`${this.name} exited before printing ${pattern}\n${this.report()}`));
        }
      };
      this.waiters.add(check);
      check();
    });
    return withTimeout(found, STEP_MS, () => `${this.name} never printed ${pattern}\n${this.report()}`);
  }

  /** Stdout lines from the first one matching `pattern` on: the output of one phase of a run. */
  linesFrom(pattern: RegExp): string[] {
    const start = this.lines.findIndex((line) => pattern.test(line));
    return start === -1 ? [] : this.lines.slice(start);
  }

  exit(): Promise<Exit> {
    return withTimeout(this.exited, STEP_MS, () => `${this.name} did not exit\n${this.report()}`);
  }

  /** Asserts a clean exit (status 0, no signal). */
  async exitsCleanly(): Promise<void> {
    const { code, signal } = await this.exit();
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, this.report());
  }

  /** Ctrl-C: the demo must close its sockets and exit 0. */
  async interrupt(): Promise<void> {
    this.child.kill('SIGINT');
    await this.exitsCleanly();
  }

  /** Writes these lines to stdin and closes it (end of input). */
  feed(input: readonly string[]): void {
    this.child.stdin.end(input.map((line) => `${line}\n`).join(''));
  }
}

function nodeDemo(script: string, args: readonly string[] = [], env: Env = {}): Proc {
  return new Proc(script, process.execPath, [path.join(EXAMPLES, script), ...args], { WORK_MS: '0', ...env });
}

/** A TypeScript demo, run by tsx as `npx tsx examples/x.ts` would (one process, so signals reach it). */
function tsDemo(script: string, args: readonly string[] = [], env: Env = {}): Proc {
  return new Proc(script, process.execPath, ['--import', 'tsx', path.join(EXAMPLES, script), ...args], {
    WORK_MS: '0',
    ...env,
  });
}

function pythonPeer(script: string, args: readonly string[] = []): Proc {
  // -u: unbuffered, so each line arrives when printed; UTF-8 whatever the locale.
  return new Proc(`python/${script}`, pythonWithPyzmq(), ['-u', path.join(EXAMPLES, 'python', script), ...args], {
    PYTHONIOENCODING: 'utf-8',
  });
}

/** The port a JS server bound, from its first line (`... tcp://127.0.0.1:41234 ...`). */
async function boundPort(server: Proc): Promise<string> {
  const [, port] = await server.waitForLine(/tcp:\/\/127\.0\.0\.1:(\d+)\b/);
  return port;
}

/** A port that was free a moment ago, for Python servers (which print the port they were given). */
async function freePort(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === 'object');
  return String(address.port);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

interface Reply {
  n: number;
  port: string;
}

/** The `Received reply N [ World from PORT ]` lines of a reqrep client (JS, or Python's wider spacing). */
function reqrepReplies(client: Proc): Reply[] {
  return client.lines.flatMap((line) => {
    const match = /^Received reply\s+(\d+) \[ World from (\d+) \]$/.exec(line);
    return match === null ? [] : [{ n: Number(match[1]), port: match[2] }];
  });
}

function assertAlternates(replies: readonly Reply[], proc: Proc): void {
  for (let i = 1; i < replies.length; i++) {
    assert.notEqual(replies[i].port, replies[i - 1].port, `replies ${i} and ${i + 1} came from the same server\n${proc.report()}`);
  }
}

/** What req.js / req.ts print for 10 requests. */
function reqOutput(endpoint: string): string[] {
  return [`Connecting to ${endpoint} ...`, ...range(1, 10).flatMap((i) => [`Sending request ${i}: Hello`, `Received reply ${i}: World`])];
}

describe('reply + req (seed 004, corrected)', { timeout: TEST_MS }, () => {
  test('req.js gets 10 "World" replies from reply.js; Ctrl-C stops the server with status 0', async () => {
    const server = nodeDemo('reply.js', ['tcp://127.0.0.1:*']);
    const endpoint = `tcp://127.0.0.1:${await boundPort(server)}`;
    const client = nodeDemo('req.js', [endpoint]);
    await client.exitsCleanly();
    assert.deepEqual(client.lines, reqOutput(endpoint), client.report());
    await server.waitForLine(/^received request: Hello$/);
    await server.interrupt();
    assert.deepEqual(server.lines.slice(1), [...range(1, 10).map(() => 'received request: Hello'), 'Reply server closed.']);
  });

  test('the TypeScript versions (reply.ts, req.ts under tsx) do the same', async () => {
    const server = tsDemo('reply.ts', ['tcp://127.0.0.1:*']);
    const endpoint = `tcp://127.0.0.1:${await boundPort(server)}`;
    const client = tsDemo('req.ts', [endpoint]);
    await client.exitsCleanly();
    assert.deepEqual(client.lines, reqOutput(endpoint), client.report());
    await server.interrupt();
    assert.equal(server.lines.filter((line) => line === 'received request: Hello').length, 10, server.report());
  });

  test('the client may start before the server: requests wait for the connection', async () => {
    const port = await freePort();
    const endpoint = `tcp://127.0.0.1:${port}`;
    const client = nodeDemo('req.js', [endpoint]);
    await client.waitForLine(/^Sending request 1: Hello$/);
    const server = nodeDemo('reply.js', [endpoint]);
    await client.exitsCleanly();
    assert.deepEqual(client.lines, reqOutput(endpoint), client.report());
    await server.interrupt();
  });

  test('Ctrl-C while a request waits for its reply: req.js and req.ts exit 0', async () => {
    const server = nodeDemo('reply.js', ['tcp://127.0.0.1:*'], { WORK_MS: '60000' });
    const endpoint = `tcp://127.0.0.1:${await boundPort(server)}`;
    for (const client of [nodeDemo('req.js', [endpoint]), tsDemo('req.ts', [endpoint])]) {
      await client.waitForLine(/^Sending request 1: Hello$/);
      await client.interrupt();
      assert.match(client.stdout, /^Interrupted\.$/m, client.report());
    }
    await server.interrupt();
  });

  test('Ctrl-C while no server is there yet (the connection is still being retried): exit 0', async () => {
    const client = nodeDemo('req.js', [`tcp://127.0.0.1:${await freePort()}`]);
    await client.waitForLine(/^Sending request 1: Hello$/);
    await client.interrupt();
  });

  test('a port already in use: reply.js exits 1 and says why', async () => {
    const first = nodeDemo('reply.js', ['tcp://127.0.0.1:*']);
    const endpoint = `tcp://127.0.0.1:${await boundPort(first)}`;
    const second = nodeDemo('reply.js', [endpoint]);
    const { code } = await second.exit();
    assert.equal(code, 1, second.report());
    assert.match(second.stderr, /EADDRINUSE/, second.report());
    await first.interrupt();
  });
});

describe("hello world (seed 000)", { timeout: TEST_MS }, () => {
  test('hello_client.js 3 → three replies from hello_server.js, exit 0', async () => {
    const server = nodeDemo('hello_server.js', ['tcp://127.0.0.1:*']);
    const endpoint = `tcp://127.0.0.1:${await boundPort(server)}`;
    const client = nodeDemo('hello_client.js', ['3', endpoint]);
    await client.exitsCleanly();
    assert.deepEqual(client.lines, [
      `Connecting to ${endpoint} ...`,
      ...range(1, 3).flatMap((i) => [`Sending request ${i} \`Hello\` ...`, `Received reply ${i}: World`]),
    ]);
    await server.interrupt();
    assert.deepEqual(server.lines.slice(1), ['Received request: Hello', 'Received request: Hello', 'Received request: Hello', 'Server closed.']);
  });

  test('the client recovers when the server is killed and restarted mid-run', async () => {
    // 300 ms of work: request 3 is in the server's hands when it is stopped.
    const first = nodeDemo('hello_server.js', ['tcp://127.0.0.1:*'], { WORK_MS: '300' });
    const endpoint = `tcp://127.0.0.1:${await boundPort(first)}`;
    const client = nodeDemo('hello_client.js', ['6', endpoint]);
    await client.waitForLine(/^Received reply 2: World$/);
    await first.interrupt();
    const second = nodeDemo('hello_server.js', [endpoint], { WORK_MS: '300' });
    await client.exitsCleanly();
    const replies = client.lines.filter((line) => line.startsWith('Received reply'));
    assert.deepEqual(replies, range(1, 6).map((i) => `Received reply ${i}: World`), client.report());
    assert.ok(second.lines.filter((line) => line === 'Received request: Hello').length >= 4, second.report());
    await second.interrupt();
  });

  test('Ctrl-C while hello_client.js waits for a reply: exit 0', async () => {
    const server = nodeDemo('hello_server.js', ['tcp://127.0.0.1:*'], { WORK_MS: '60000' });
    const client = nodeDemo('hello_client.js', ['5', `tcp://127.0.0.1:${await boundPort(server)}`]);
    await server.waitForLine(/^Received request: Hello$/);
    await client.interrupt();
    assert.match(client.stdout, /^Interrupted\.$/m, client.report());
    await server.interrupt();
  });

  test('interop: the seed\'s Python client (100 requests) against hello_server.js', async () => {
    pythonWithPyzmq();
    const server = nodeDemo('hello_server.js', ['tcp://127.0.0.1:*']);
    const port = await boundPort(server);
    const client = pythonPeer('hello_client.py', [port, '127.0.0.1']);
    await client.exitsCleanly();
    assert.deepEqual(
      client.lines,
      range(1, 100).flatMap(() => ['Sending request `Hello` ...', 'Received reply : World']),
      client.report(),
    );
    await server.interrupt();
  });

  test('interop: hello_client.js against the seed\'s Python server', async () => {
    pythonWithPyzmq();
    const port = await freePort();
    const server = pythonPeer('hello_server.py', [port, '127.0.0.1']);
    await server.waitForLine(/^Server listening on tcp:\d+ \.\.\.$/);
    // The Python server works 1 s per request: two requests keep this short.
    const client = nodeDemo('hello_client.js', ['2', `tcp://127.0.0.1:${port}`]);
    await client.exitsCleanly();
    assert.deepEqual(client.lines.slice(1), [
      'Sending request 1 `Hello` ...',
      'Received reply 1: World',
      'Sending request 2 `Hello` ...',
      'Received reply 2: World',
    ]);
    assert.deepEqual(server.lines.slice(1), ['Received request: Hello', 'Received request: Hello']);
  });
});

describe('reqrep: one client, two servers (seed 001)', { timeout: TEST_MS }, () => {
  async function twoJsServers(workMs: string): Promise<[Proc, string, Proc, string]> {
    const a = nodeDemo('reqrep_server.js', ['0', '127.0.0.1'], { WORK_MS: workMs });
    const b = nodeDemo('reqrep_server.js', ['0', '127.0.0.1'], { WORK_MS: workMs });
    return [a, await boundPort(a), b, await boundPort(b)];
  }

  test('replies alternate between the two servers; the client exits 0 after its count', async () => {
    // 50 ms of work: by the later requests both connections are surely up.
    const [a, portA, b, portB] = await twoJsServers('50');
    const client = nodeDemo('reqrep_client.js', [portA, portB, '8']);
    await client.exitsCleanly();
    assert.equal(client.lines[0], 'Connecting to hello world server...');
    const replies = reqrepReplies(client);
    assert.deepEqual(replies.map((r) => r.n), range(1, 8), client.report());
    assert.ok(replies.every((r) => r.port === portA || r.port === portB), client.report());
    // Round-robin is over the servers that are up; the first request may go out before the
    // second connection is, so strict alternation is checked on the last four.
    assertAlternates(replies.slice(4), client);
    assert.deepEqual(new Set(replies.map((r) => r.port)), new Set([portA, portB]), client.report());
    await a.interrupt();
    await b.interrupt();
  });

  test('a server that dies mid-run: the client carries on with the other one', async () => {
    // 200 ms of work: for A to answer a request sent after its Ctrl-C, it would have to ignore
    // the signal for 400 ms (request 3 elsewhere, then request 4 worked on).
    const [a, portA, b, portB] = await twoJsServers('200');
    const client = nodeDemo('reqrep_client.js', [portA, portB, '8']);
    await client.waitForLine(/^Received reply 2 /);
    await a.interrupt();
    await client.exitsCleanly();
    const replies = reqrepReplies(client);
    assert.deepEqual(replies.map((r) => r.n), range(1, 8), client.report());
    // Requests sent after A was gone (from the 4th on: the 3rd may have been in A's hands) went to B.
    assert.ok(replies.slice(3).every((r) => r.port === portB), client.report());
    await b.interrupt();
  });

  test('Ctrl-C while reqrep_client.js waits: exit 0', async () => {
    const [a, portA, b, portB] = await twoJsServers('60000');
    const client = nodeDemo('reqrep_client.js', [portA, portB]);
    await client.waitForLine(/^Sending request 1 \.\.\.$/);
    await client.interrupt();
    await a.interrupt();
    await b.interrupt();
  });

  test('interop: reqrep_client.js against two of the seed\'s Python servers', async () => {
    pythonWithPyzmq();
    const [portA, portB] = [await freePort(), await freePort()];
    // The Python servers print nothing until a request comes: the client connecting before they
    // bind is fine (it retries). Each works 1 s per request, so four requests.
    const servers = [pythonPeer('reqrep_server.py', [portA, '127.0.0.1']), pythonPeer('reqrep_server.py', [portB, '127.0.0.1'])];
    const client = nodeDemo('reqrep_client.js', [portA, portB, '4']);
    await client.exitsCleanly();
    const replies = reqrepReplies(client);
    assert.deepEqual(replies.map((r) => r.n), range(1, 4), client.report());
    assert.deepEqual(new Set(replies.map((r) => r.port)), new Set([portA, portB]), client.report());
    for (const server of servers) server.child.kill('SIGTERM');
  });

  test('interop: the seed\'s Python client against two reqrep_server.js', async () => {
    pythonWithPyzmq();
    const [a, portA, b, portB] = await twoJsServers('0');
    const client = pythonPeer('reqrep_client.py', [portA, portB]);
    await client.exitsCleanly();
    const replies = reqrepReplies(client);
    assert.deepEqual(replies.map((r) => r.n), range(1, 9), client.report());
    // libzmq's REQ queues to both connections from the start: strict alternation.
    assertAlternates(replies, client);
    assert.deepEqual(new Set(replies.map((r) => r.port)), new Set([portA, portB]), client.report());
    await a.interrupt();
    await b.interrupt();
  });
});

describe('multiply (seed 002)', { timeout: TEST_MS }, () => {
  const INPUT = ['100', '1000', 'abc', '2.5'];
  const TIMES_5 = ['500.0', '5000.0', "not a 'float'", '12.5'];
  const PROMPT = 'give a number to multiply: ';

  async function jsServer(multiplier: string): Promise<[Proc, string]> {
    const server = nodeDemo('multiply_server.js', [multiplier, '0', '127.0.0.1']);
    const [, port] = await server.waitForLine(/^Waiting for clients on port '(\d+)' on host '127\.0\.0\.1'\.$/);
    return [server, port];
  }

  test('multiply_client.js reads stdin, prints each reply (no prompt on a pipe), exits 0 at end of input', async () => {
    const [server, port] = await jsServer('5');
    const client = nodeDemo('multiply_client.js', [port, '127.0.0.1']);
    client.feed(INPUT);
    await client.exitsCleanly();
    assert.deepEqual(client.lines, [`Connecting to port '${port}' of host '127.0.0.1'.`, ...TIMES_5]);
    assert.equal(client.stdout.includes(PROMPT), false);
    assert.deepEqual(server.lines.slice(1), INPUT.map((line, i) => `received: ${line} sending: ${TIMES_5[i]}`));
    await server.interrupt();
  });

  test("replies are Python's str(float(line) * multiplier), character for character", async () => {
    // Python's float() and str(float) rules: '.0' on whole numbers, exponent from 1e16 and
    // below 1e-4, inf/nan, underscores, surrounding whitespace, and what float() rejects.
    const lines = [
      '100', '1000', '2.5', '0.1', '1/3', '3.14159', '1e16', '1e15', '3333333333333333', '123456789012345678',
      '0.0001', '0.00001', '0.000033333', '1e-7', '5e-324', '1.7976931348623157e308', '1e400', '9007199254740993',
      '0', '-0', '+1.5', '.5', '5.', '1.e5', '1_000', '1_0.0_1e1_0', '  7  ', '\u00a012\u2003',
      'inf', '-Infinity', '-iNF', 'nan', '', 'abc', '0x10', '1__0', '_1', '1_', '1e', 'e5', '.', '+', 'nan(1)',
    ];
    const python = spawnSync(
      'python3',
      ['-c', "import sys\nfor line in sys.stdin.read().split('\\n')[:-1]:\n  try: print(str(float(line) * 3))\n  except ValueError: print(\"not a 'float'\")"],
      { input: lines.map((line) => `${line}\n`).join(''), encoding: 'utf8', env: { ...process.env, PYTHONIOENCODING: 'utf-8' } },
    );
    assert.equal(python.status, 0, python.stderr);
    const expected = python.stdout.split('\n').slice(0, -1);
    assert.equal(expected.length, lines.length);

    const [server, port] = await jsServer('3');
    const client = nodeDemo('multiply_client.js', [port]);
    client.feed(lines);
    await client.exitsCleanly();
    assert.deepEqual(client.lines.slice(1), expected, client.report());
    await server.interrupt();
  });

  test('Ctrl-C while multiply_client.js waits for input: exit 0', async () => {
    const [server, port] = await jsServer('2');
    const client = nodeDemo('multiply_client.js', [port]);
    await client.waitForLine(/^Connecting to port/);
    await client.interrupt();
    await server.interrupt();
  });

  test("interop: the seed's Python client against multiply_server.js", async () => {
    pythonWithPyzmq();
    const [server, port] = await jsServer('5');
    const client = pythonPeer('multiply_client.py', [port, '127.0.0.1']);
    client.feed(INPUT);
    await client.exitsCleanly();
    // input() prints its prompt even on a pipe, without a newline: take the prompts out.
    assert.deepEqual(client.stdout.replaceAll(PROMPT, '').split('\n').slice(0, -1), [
      `Connecting to port '${port}' of host '127.0.0.1'.`,
      ...TIMES_5,
    ]);
    await server.interrupt();
  });

  test("interop: multiply_client.js against the seed's Python server", async () => {
    pythonWithPyzmq();
    const port = await freePort();
    const server = pythonPeer('multiply_server.py', ['5', port, '127.0.0.1']);
    await server.waitForLine(/^Waiting for clients on port/);
    const client = nodeDemo('multiply_client.js', [port, '127.0.0.1']);
    client.feed(INPUT);
    await client.exitsCleanly();
    assert.deepEqual(client.lines, [`Connecting to port '${port}' of host '127.0.0.1'.`, ...TIMES_5]);
    await server.waitForLine(/^received: 2\.5 sending: 12\.5$/);
    assert.deepEqual(server.lines.slice(1), INPUT.map((line, i) => `received: ${line} sending: ${TIMES_5[i]}`));
    server.child.kill('SIGTERM');
  });
});

describe('npm run demo', { timeout: TEST_MS }, () => {
  test('runs a server and a client in one go and exits 0 by itself', async () => {
    const manifest: unknown = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.ok(typeof manifest === 'object' && manifest !== null && 'scripts' in manifest);
    const { scripts } = manifest as { scripts: Record<string, string> };
    assert.equal(scripts.demo, 'node examples/demo.js');
    // What `npm run demo` runs, without npm in between.
    const demo = nodeDemo('demo.js', [], { DEMO_ENDPOINT: undefined });
    await demo.exitsCleanly();
    assert.match(demo.stdout, /^server: listening on tcp:\/\/127\.0\.0\.1:\d+$/m);
    assert.equal(demo.lines.filter((line) => /^client: received reply \d: World$/.test(line)).length, 5, demo.report());
    assert.equal(demo.lines.at(-1), 'demo: done');
  });
});

describe('bad arguments: a usage message and a non-zero status', { timeout: TEST_MS }, () => {
  const cases: Array<{ demo: string; args: string[]; env?: Env }> = [
    { demo: 'reply.js', args: ['foo://x'] },
    { demo: 'reply.js', args: ['tcp://127.0.0.1'] },
    { demo: 'reply.js', args: ['tcp://127.0.0.1:*', 'extra'] },
    { demo: 'reply.js', args: ['tcp://127.0.0.1:*'], env: { WORK_MS: 'soon' } },
    { demo: 'req.js', args: ['not an endpoint'] },
    { demo: 'reply.ts', args: ['foo://x'] },
    { demo: 'req.ts', args: ['a', 'b'] },
    { demo: 'req.ts', args: ['foo://x'] },
    { demo: 'hello_server.js', args: ['tcp://127.0.0.1:*'], env: { WORK_MS: '-1' } },
    { demo: 'hello_client.js', args: ['0'] },
    { demo: 'hello_client.js', args: ['ten'] },
    { demo: 'reqrep_server.js', args: ['abc'] },
    { demo: 'reqrep_server.js', args: ['70000'] },
    { demo: 'reqrep_client.js', args: ['5556', 'x'] },
    { demo: 'reqrep_client.js', args: ['5556', '5557', '0'] },
    { demo: 'multiply_server.js', args: ['two'] },
    { demo: 'multiply_server.js', args: ['2', '-1'] },
    { demo: 'multiply_client.js', args: ['port'] },
    { demo: 'multiply_client.js', args: ['0'] },
    { demo: 'demo.js', args: ['nope://x'] },
  ];

  for (const { demo, args, env } of cases) {
    test(`${demo} ${args.map((arg) => JSON.stringify(arg)).join(' ')}${env === undefined ? '' : ` (${JSON.stringify(env)})`}`, async () => {
      const proc = demo.endsWith('.ts') ? tsDemo(demo, args, env) : nodeDemo(demo, args, env);
      const { code } = await proc.exit();
      assert.equal(code, 2, proc.report());
      assert.match(proc.stderr, /^error: .+\nusage: (node|npx tsx) examples\//, proc.report());
    });
  }

  test('--help prints the usage and exits 0', async () => {
    const proc = nodeDemo('multiply_server.js', ['--help']);
    await proc.exitsCleanly();
    assert.match(proc.stdout, /^usage: node examples\/multiply_server\.js \[multiplier\] \[port\] \[host\]/);
  });
});
