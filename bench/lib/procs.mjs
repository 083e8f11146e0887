// Child processes of a run: Node children spoken to over the IPC channel, and the Rust floor binary.
// Every wait is bounded: a hung library must not hang the benchmark.
import { fork, spawn, execFile } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * `promise`, or a rejection (after calling `onTimeout`) if it takes longer than `ms`.
 * @template T @param {Promise<T>} promise @param {number} ms @param {string} what @param {() => void} [onTimeout]
 * @returns {Promise<T>}
 */
function withTimeout(promise, ms, what, onTimeout) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new Error(`${what}: no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** A forked Node script that answers one request at a time over process.send. */
export class NodeChild {
  /** @param {string} script @param {string[]} args @param {string} label */
  constructor(script, args, label) {
    this.label = label;
    // --expose-gc: each batch starts from a collected heap (see `collect` in the child scripts).
    // BENCH_NODE_FLAGS: more V8/Node flags for every child, both libraries alike (experiments, e.g.
    // `--max-semi-space-size=1` to see what the young generation's size accounts for).
    const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    this.proc = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc', ...flags] });
    /** @type {((m: any) => void) | null} */
    this.waiting = null;
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    // A send on a channel that just closed reports here; the pending ask() then fails on 'exit'.
    this.proc.on('error', (err) => console.error(`${label}: ${err.message}`));
    this.proc.on('message', (m) => {
      const w = this.waiting;
      this.waiting = null;
      w?.(m);
    });
  }

  /** Next message from the child, or a rejection if it exits or stays silent for `ms`. @param {number} ms @returns {Promise<any>} */
  next(ms) {
    const message = new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.exited.then(({ code, signal }) => reject(new Error(`${this.label} exited (${signal ?? code})`)));
    });
    return withTimeout(message, ms, this.label, () => this.kill());
  }

  get alive() {
    return this.proc.exitCode === null && this.proc.signalCode === null && this.proc.connected;
  }

  /** @param {object} msg @param {number} ms */
  async ask(msg, ms) {
    if (!this.alive) throw new Error(`${this.label} is not running`);
    const answer = this.next(ms);
    try {
      this.proc.send(msg);
    } catch (err) {
      answer.catch(() => {});
      throw err;
    }
    return answer;
  }

  /** Asks the child to close its sockets and report its peak RSS (KiB); kills it if it will not. */
  async stop(ms = 10_000) {
    if (!this.alive) return null;
    try {
      const { maxRssKiB, rss } = await this.ask({ cmd: 'stop' }, ms);
      if (rss) console.error(`[rss] ${this.label} at exit: ${JSON.stringify(rss)}`);
      await withTimeout(this.exited, ms, `${this.label} exit`, () => this.kill());
      return maxRssKiB;
    } catch {
      this.kill();
      return null;
    }
  }

  kill() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

/** The floor's echo server: first stdout line = endpoints; closing stdin stops it (second line = RSS). */
export class FloorServer {
  /** @param {string} bin @param {string} unixPath */
  constructor(bin, unixPath) {
    this.proc = spawn(bin, ['server', '--unix', unixPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
    this.nextLine = async () => JSON.parse((await lines.next()).value ?? 'null');
  }

  /** @returns {Promise<{ tcp: string, unix: string }>} */
  ready(ms = 10_000) {
    return withTimeout(this.nextLine(), ms, 'tcp-floor server', () => this.proc.kill('SIGKILL'));
  }

  async stop(ms = 10_000) {
    this.proc.stdin.end();
    try {
      const { maxRssKiB } = await withTimeout(this.nextLine(), ms, 'tcp-floor server stop', () =>
        this.proc.kill('SIGKILL'),
      );
      return maxRssKiB;
    } catch {
      return null;
    }
  }
}

/**
 * One floor client batch (a fresh process each time: it starts in about a millisecond).
 * @param {string} bin @param {string[]} args @param {number} ms
 * @returns {Promise<{ elapsedNs: number, roundTrips: number, samplesNs: number[], maxRssKiB: number }>}
 */
export function runFloorClient(bin, args, ms) {
  return new Promise((resolve, reject) => {
    execFile(bin, ['client', ...args], { timeout: ms, killSignal: 'SIGKILL', maxBuffer: 64 << 20 }, (err, out) => {
      if (err) reject(err);
      else resolve(JSON.parse(out));
    });
  });
}
