// What one run measures: rounds, iteration counts and the list of cases with the implementations each
// compares. Counts are sized so the default run takes a couple of minutes on 2 cores.

export const SIZES = [16, 64 * 1024, 1024 * 1024];
export const TRANSPORTS = /** @type {const} */ (['tcp', 'ipc']);
export const CONNS = 16;
/** Worker processes behind the broker in the broker case. */
export const BROKER_WORKERS = 4;
/** Subscribers (in the server process) of the fan-out case's one Publisher. */
export const FANOUT_SUBSCRIBERS = 8;
/** Messages in flight in the pipelined Dealer -> Router case. */
export const PIPELINE_WINDOW = 1000;

/** Display names; 'ours' is always the first row of a case and the numerator of every ratio.
 * @type {Record<string, string>} */
export const IMPL_NAMES = {
  ours: 'ours send/receive',
  'ours-request': 'ours request()',
  'ours-serve': 'ours serve(c=16)',
  zeromqjs: 'zeromq.js',
  // The broker and pipeline cases: the same code on both libraries (their own Proxy each).
  floor: 'floor',
  // The pipelined and broker cases' floor: node:net with JS length-prefixed framing, the same window or
  // processes (bench/lib/net-floor.mjs, bench/lib/net-broker.mjs).
  netfloor: 'node:net floor',
};

/** @param {number} n */
export function sizeLabel(n) {
  if (n >= 1 << 20) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 10) return `${n / (1 << 10)} KiB`;
  return `${n} B`;
}

/**
 * @param {string[]} argv @param {NodeJS.ProcessEnv} env
 */
export function makeConfig(argv, env) {
  const quick = argv.includes('--quick') || (env.BENCH_QUICK ?? '') === '1';
  // Many short rounds rather than a few long ones: on a shared 2-core machine a burst of other work
  // spoils a whole batch, and the median over rounds then simply passes over it.
  const rounds = Number(env.BENCH_ROUNDS) || (quick ? 2 : 15);
  // [iterations, warmup] per sequential batch, by size: about 0.1-0.3 s each at the expected speeds.
  /** @type {Record<number, [number, number]>} */
  const seq = quick
    ? { 16: [300, 50], 65536: [100, 20], 1048576: [20, 5] }
    : { 16: [2000, 200], 65536: [800, 100], 1048576: [150, 20] };
  // Per connection, for the 16-connection throughput batch.
  /** @type {[number, number]} */
  const tput = quick ? [40, 5] : [300, 20];
  // Messages per pipelined Dealer -> Router batch (with PIPELINE_WINDOW in flight), and warmup.
  /** @type {[number, number]} */
  const pipeline = quick ? [400, 100] : [20_000, 2_000];
  // Messages per fan-out (to 8 subscribers) and per Push -> Pull batch, and warmup.
  /** @type {[number, number]} */
  const fanout = quick ? [1_000, 100] : [20_000, 1_000];
  /** @type {[number, number]} */
  const pushpull = quick ? [2_000, 200] : [50_000, 2_000];
  // BENCH_CASES=broker,pipeline: only the cases whose id contains one of these (case-insensitive).
  const only = (env.BENCH_CASES ?? '')
    .split(',')
    .map((x) => x.trim().toLowerCase())
    .filter(Boolean);
  return { quick, rounds, seq, tput, pipeline, fanout, pushpull, only, batchTimeoutMs: 120_000 };
}

/**
 * `topology`: 'direct' (client process -> server process), 'broker' (the client process's Requests ->
 * a broker process, Router | Proxy | Dealer -> BROKER_WORKERS worker processes, each a Reply), or
 * 'pipeline' (one Dealer in the client process keeping `window` messages in flight to a Router echo
 * in the server process; `iters` = messages, us/rt = wall time per message).
 * 'fanout' (a Publisher in the client process to FANOUT_SUBSCRIBERS Subscribers in the server
 * process; us/rt = wall time per message until every subscriber has all of them) or 'pushpull' (a
 * Push in the client process streaming to a Pull in the server process).
 * @typedef {{ id: string, kind: 'seq' | 'tput', topology: 'direct' | 'broker' | 'pipeline' | 'fanout' | 'pushpull',
 *   transport: 'tcp' | 'ipc', size: number, conns: number, iters: number, warmup: number, window?: number,
 *   impls: string[], curve?: boolean }} Case
 * @param {ReturnType<typeof makeConfig>} cfg
 * @returns {Case[]}
 */
export function makeCases(cfg) {
  /** @type {Case[]} */
  const cases = [];
  for (const transport of TRANSPORTS) {
    for (const size of SIZES) {
      const [iters, warmup] = cfg.seq[size];
      cases.push({
        id: `${transport} ${sizeLabel(size)} sequential`,
        kind: 'seq',
        topology: 'direct',
        transport,
        size,
        conns: 1,
        iters,
        warmup,
        impls: ['ours', 'ours-request', 'zeromqjs', 'floor'],
      });
    }
    const [iters, warmup] = cfg.tput;
    cases.push({
      id: `${transport} ${CONNS} clients x 16 B`,
      kind: 'tput',
      topology: 'direct',
      transport,
      size: 16,
      conns: CONNS,
      iters,
      warmup,
      impls: ['ours', 'ours-serve', 'zeromqjs', 'floor'],
    });
  }
  // CURVE (issue 11): every frame boxed both ways, against zeromq.js with CURVE; target <= 0.80.
  for (const size of SIZES) {
    const [iters, warmup] = cfg.seq[size];
    cases.push({
      id: `tcp CURVE ${sizeLabel(size)} sequential`,
      kind: 'seq',
      topology: 'direct',
      transport: 'tcp',
      size,
      conns: 1,
      iters,
      warmup,
      impls: ['ours', 'zeromqjs'],
      curve: true,
    });
  }
  cases.push({
    id: `tcp CURVE ${CONNS} clients x 16 B`,
    kind: 'tput',
    topology: 'direct',
    transport: 'tcp',
    size: 16,
    conns: CONNS,
    iters: cfg.tput[0],
    warmup: cfg.tput[1],
    impls: ['ours', 'zeromqjs'],
    curve: true,
  });
  const [iters, warmup] = cfg.tput;
  cases.push({
    id: `tcp ${CONNS} clients -> broker -> ${BROKER_WORKERS} workers x 16 B`,
    kind: 'tput',
    topology: 'broker',
    transport: 'tcp',
    size: 16,
    conns: CONNS,
    iters,
    warmup,
    impls: ['ours', 'zeromqjs', 'netfloor'],
  });
  const [messages, pipelineWarmup] = cfg.pipeline;
  cases.push({
    id: `tcp Dealer -> Router pipelined x ${PIPELINE_WINDOW} in flight, 16 B`,
    kind: 'tput',
    topology: 'pipeline',
    transport: 'tcp',
    size: 16,
    conns: 1,
    iters: messages,
    warmup: pipelineWarmup,
    window: PIPELINE_WINDOW,
    impls: ['ours', 'zeromqjs', 'netfloor'],
  });
  cases.push({
    id: `tcp PUB -> ${FANOUT_SUBSCRIBERS} SUB fan-out, 16 B`,
    kind: 'tput',
    topology: 'fanout',
    transport: 'tcp',
    size: 16,
    conns: 1,
    iters: cfg.fanout[0],
    warmup: cfg.fanout[1],
    impls: ['ours', 'zeromqjs'],
  });
  cases.push({
    id: 'tcp PUSH -> PULL pipeline, 16 B',
    kind: 'tput',
    topology: 'pushpull',
    transport: 'tcp',
    size: 16,
    conns: 1,
    iters: cfg.pushpull[0],
    warmup: cfg.pushpull[1],
    impls: ['ours', 'zeromqjs'],
  });
  if (cfg.only.length === 0) return cases;
  return cases.filter((c) => cfg.only.some((part) => c.id.toLowerCase().includes(part)));
}
