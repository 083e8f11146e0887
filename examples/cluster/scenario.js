// @ts-check
'use strict';
// The cross-host scenario (issue 12, item 5), shared by `npm run demo:cluster` and
// __test__/cluster.test.ts: a broker host (examples/broker.js: Router for clients, Dealer for
// workers, Proxy between), two worker hosts (examples/worker.js) and a clients host
// (examples/cluster/client.js), each its own network namespace. Worker 1 is SIGKILLed while the
// clients are busy, then restarted; then worker 2 hangs (SIGSTOP) and wakes (SIGCONT), so late
// replies reach the clients. The result says which requests were answered, by whom, when.

const { NetnsLab } = require('./netns.js');

/** One /24 of 198.18.0.0/15 (the range reserved for network tests); nothing else is ever used. */
const ADDRESSES = Object.freeze({
  broker: '198.18.0.1',
  worker1: '198.18.0.11',
  worker2: '198.18.0.12',
  clients: '198.18.0.21',
});

const CLIENT_PROCESSES = 2;
const SOCKETS_PER_CLIENT = 3;
/** Replies awaited in each phase: enough to show the phase, few enough to stay well inside the deadline. */
const PHASE_REPLIES = 12;

/**
 * @typedef {{ for: string, reply: string, from: string | null, client: string }} Reply
 * @typedef {{ name: string, sent: number[], failures: string[] }} ClientSummary
 * @typedef {{
 *   addresses: typeof ADDRESSES,
 *   namespaces: Record<string, string>,
 *   frontend: string,
 *   backend: string,
 *   replies: Reply[],
 *   killedAt: number,
 *   restartedAt: number,
 *   frozenAt: number,
 *   resumedAt: number,
 *   summaries: ClientSummary[],
 *   clientExits: ({ code: number | null, signal: NodeJS.Signals | null })[],
 *   rescued: string[],
 *   late: string[],
 * }} ClusterResult
 */

/**
 * Runs the scenario; the namespaces are removed before it settles, whatever happens.
 * @param {{ log?: (line: string) => void, deadlineMs?: number, signal?: AbortSignal }} [opts]
 * @returns {Promise<ClusterResult>}
 */
async function runCluster({ log = () => {}, deadlineMs = 25_000, signal } = {}) {
  const lab = new NetnsLab(ADDRESSES);
  /** @type {Reply[]} */
  const replies = [];
  /** @type {ClientSummary[]} */
  const summaries = [];
  /** @type {Set<() => void>} conditions re-checked on every event */
  const waiters = new Set();
  // Deferred so that every listener of the same line (the ones that record it) has run first.
  const recheck = () =>
    queueMicrotask(() => {
      for (const check of [...waiters]) check();
    });
  const deadline = AbortSignal.timeout(deadlineMs);
  const stop = signal ? AbortSignal.any([signal, deadline]) : deadline;
  /** @type {import('./netns.js').HostProcess[]} */
  const started = [];

  /**
   * Resolves once `condition()` holds; rejects, naming `what`, when the deadline passes or the
   * caller aborts (a bound so a broken build fails instead of hanging; it asserts nothing itself).
   * @template T
   * @param {() => T | undefined | false} condition
   * @param {string} what
   * @returns {Promise<T>}
   */
  function until(condition, what) {
    return new Promise((resolve, reject) => {
      const onStop = () => {
        waiters.delete(check);
        const why = signal?.aborted ? 'interrupted' : `not seen within ${deadlineMs} ms`;
        const stderr = started.flatMap((p) => p.stderr.map((l) => `  [${p.host}] ${l}`)).join('\n');
        reject(new Error(`waiting for ${what}: ${why}${stderr ? `\nprocess stderr:\n${stderr}` : ''}`));
      };
      const check = () => {
        const value = condition();
        if (value !== undefined && value !== false) {
          waiters.delete(check);
          stop.removeEventListener('abort', onStop);
          resolve(value);
        }
      };
      if (stop.aborted) return onStop();
      stop.addEventListener('abort', onStop, { once: true });
      waiters.add(check);
      check();
    });
  }

  /**
   * @param {string} host
   * @param {string[]} args
   * @param {Record<string, string>} [env]
   */
  function start(host, args, env) {
    const proc = lab.start(host, args, env);
    started.push(proc);
    proc.on('line', recheck);
    proc.on('exit', recheck);
    return proc;
  }

  /** @param {string | null} from */
  const count = (from, since = 0) => replies.slice(since).filter((r) => r.from === from).length;

  try {
    await lab.build();
    log(`hosts (network namespaces on one bridge, 198.18.0.0/24):`);
    for (const [host, address] of Object.entries(ADDRESSES)) log(`  ${lab.namespace(host).padEnd(24)} ${address}`);

    const broker = start('broker', ['examples/broker.js', `tcp://${ADDRESSES.broker}:*`, `tcp://${ADDRESSES.broker}:*`]);
    /** @type {string[]} */
    const brokerLines = [];
    broker.on('line', (line) => brokerLines.push(line));
    const [, frontend, backend] = await until(
      () => brokerLines.map((l) => /clients on (\S+), workers on (\S+)/.exec(l)).find(Boolean) ?? (broker.exit ? fail(broker) : undefined),
      'the broker to bind',
    );
    log(`broker: clients connect to ${frontend}, workers to ${backend}`);

    // The workers' "<name> received: <id>" lines say which requests a worker started on: one
    // answered by another worker was retried, and the first worker's own reply, if it sent one
    // after all, was a late duplicate the client had to discard.
    /** @type {Map<string, Set<string>>} */
    const startedBy = new Map();
    /**
     * @param {string} host
     * @param {string} name
     */
    const startWorker = (host, name) => {
      const started = new Set();
      startedBy.set(name, started);
      const proc = start(host, ['examples/worker.js', backend, name], { WORK_MS: '20' });
      proc.on('line', (line) => {
        const m = /^(\S+) received: (\S+)$/.exec(line);
        if (m && m[1] === name) started.add(m[2]);
      });
      return proc;
    };
    /** Ids `name` started on that the clients got answered by another worker. */
    const takenOver = (/** @type {string} */ name) => {
      const started = startedBy.get(name) ?? new Set();
      return replies.filter((r) => started.has(r.for) && r.from !== name).map((r) => r.for);
    };
    const worker1 = startWorker('worker1', 'worker1');
    startWorker('worker2', 'worker2');

    /** @type {import('./netns.js').HostProcess[]} */
    const clients = [];
    for (let i = 1; i <= CLIENT_PROCESSES; i++) {
      const name = `client${i}`;
      const proc = start('clients', ['examples/cluster/client.js', frontend, name, String(SOCKETS_PER_CLIENT)]);
      proc.on('line', (line) => {
        /** @type {{ for?: string, reply?: string, from?: string | null, failed?: string, summary?: ClientSummary }} */
        let event;
        try {
          event = JSON.parse(line);
        } catch {
          return;
        }
        if (event.summary) summaries.push(event.summary);
        else if (event.for !== undefined && event.reply !== undefined) {
          replies.push({ for: event.for, reply: event.reply, from: event.from ?? null, client: name });
        } else if (event.failed) log(`  ${name}: ${event.for} FAILED: ${event.failed}`);
      });
      clients.push(proc);
    }
    log(`clients: ${CLIENT_PROCESSES} processes x ${SOCKETS_PER_CLIENT} Request sockets (correlate, timeout 1000 ms, 5 retries), ids <client>.<socket>.<n>`);

    await until(() => count('worker1') >= PHASE_REPLIES && count('worker2') >= PHASE_REPLIES, `${PHASE_REPLIES} replies from each worker`);
    log(`phase 1: ${replies.length} replies so far (worker1 ${count('worker1')}, worker2 ${count('worker2')})`);

    const killedAt = replies.length;
    await lab.signal('worker1', 'KILL');
    await until(() => worker1.exit, 'worker1 to die');
    log(`killed worker1 (SIGKILL, every process in ${lab.namespace('worker1')}) after ${killedAt} replies`);
    await until(() => replies.length - killedAt >= 2 * PHASE_REPLIES, `${2 * PHASE_REPLIES} replies after the kill`);
    log(`phase 2: ${replies.length - killedAt} replies while worker1 was down (worker2 ${count('worker2', killedAt)}, worker1's last in flight ${count('worker1', killedAt)})`);

    const restartedAt = replies.length;
    startWorker('worker1', 'worker1-restarted');
    log(`restarted worker1 as worker1-restarted`);
    await until(() => count('worker1-restarted') >= PHASE_REPLIES, `${PHASE_REPLIES} replies from the restarted worker1`);
    log(`phase 3: ${replies.length - restartedAt} replies since the restart (worker1-restarted ${count('worker1-restarted', restartedAt)}, worker2 ${count('worker2', restartedAt)})`);

    // A hung host rather than a dead one: worker2 stops (SIGSTOP) with its connection up, so the
    // broker keeps handing it requests; they time out and are retried on worker1-restarted. When
    // worker2 wakes it answers them all, late; the clients must discard every such reply.
    //
    // A reply is late only if the client gave up on that attempt first: the freeze must outlast
    // the clients' attempt timeout (1000 ms, client.js) for worker2 to hold anything that gets
    // retried elsewhere. Ending the freeze once worker1-restarted has answered PHASE_REPLIES
    // requests usually takes that long (the clients stuck on worker2 wait out their timeouts) but
    // need not: clients whose requests happen to go to worker1-restarted can make up the count
    // first, the sooner as replies keep coming while `ip netns pids` + `kill` deliver the STOP
    // (100+ ms under load; the count starts once it is delivered). Such a freeze leaves nothing
    // late, and nothing ever would be: worker2 then hangs again, until a request it had been given
    // was answered elsewhere (seen once it wakes and logs what it was given).
    const lateBefore = takenOver('worker2').length;
    let frozenAt = 0;
    let resumedAt = 0;
    let freezes = 0;
    do {
      freezes += 1;
      await lab.signal('worker2', 'STOP');
      frozenAt = replies.length;
      log(`froze worker2 (SIGSTOP${freezes > 1 ? `, freeze ${freezes}: nothing it held was late` : ''}) after ${frozenAt} replies`);
      await until(() => count('worker1-restarted', frozenAt) >= PHASE_REPLIES, `${PHASE_REPLIES} replies from worker1-restarted while worker2 is frozen`);
      resumedAt = replies.length;
      await lab.signal('worker2', 'CONT');
      log(`resumed worker2 (SIGCONT) after ${resumedAt - frozenAt} replies while it was frozen`);
      await until(() => count('worker2', resumedAt) >= PHASE_REPLIES, `worker2 to answer ${PHASE_REPLIES} requests after waking`);
    } while (takenOver('worker2').length === lateBefore);
    log(`phase 4: worker2 worked on ${takenOver('worker2').length} request(s) after waking that the clients had already had answered elsewhere: their replies came late and were discarded`);

    for (const c of clients) c.write('stop');
    const clientExits = await Promise.all(clients.map((c) => c.exited));
    await until(() => summaries.length === CLIENT_PROCESSES || undefined, 'every client summary');
    const rescued = takenOver('worker1');
    log(`stopped the clients: ${replies.length} replies in all; ${rescued.length} request(s) worker1 held when killed were answered by another worker after a retry`);
    return {
      addresses: ADDRESSES,
      namespaces: Object.fromEntries(Object.keys(ADDRESSES).map((h) => [h, lab.namespace(h)])),
      frontend,
      backend,
      replies,
      killedAt,
      restartedAt,
      frozenAt,
      resumedAt,
      summaries,
      clientExits,
      rescued,
      late: takenOver('worker2'),
    };
  } finally {
    await lab.destroy();
    log(`removed the namespaces (${Object.keys(ADDRESSES).length + 1}, switch included)`);
  }
}

/**
 * @param {import('./netns.js').HostProcess} proc
 * @returns {never}
 */
function fail(proc) {
  throw new Error(`${proc.host} exited (${JSON.stringify(proc.exit)}): ${proc.stderr.join('\n')}`);
}

module.exports = { ADDRESSES, runCluster };
