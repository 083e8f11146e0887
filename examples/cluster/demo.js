// @ts-check
'use strict';
// npm run demo:cluster: the broker, two workers and the clients on four "hosts" (network
// namespaces on a bridge, 198.18.0.0/24); worker1 is killed mid-run and restarted. Needs root
// (or passwordless sudo) for the namespaces; Ctrl-C removes them before exiting.

const { runCluster } = require('./scenario.js');
const { PrivilegeError } = require('./netns.js');

async function main() {
  const interrupt = new AbortController();
  // `on`, not `once`: a second Ctrl-C must not end the process before the namespaces are removed.
  process.on('SIGINT', () => interrupt.abort());
  try {
    const result = await runCluster({ log: (line) => console.log(line), signal: interrupt.signal, deadlineMs: 60_000 });
    const sent = result.summaries.flatMap((s) => s.sent.flatMap((n, socket) => Array.from({ length: n }, (_, i) => `${s.name}.${socket}.${i}`)));
    const answered = new Map();
    for (const r of result.replies) answered.set(r.for, (answered.get(r.for) ?? 0) + (r.reply === r.for ? 1 : 0));
    const once = sent.filter((id) => answered.get(id) === 1).length;
    const failures = result.summaries.flatMap((s) => s.failures);
    console.log(`${sent.length} requests sent, ${once} answered exactly once with their own id, ${failures.length} failed`);
    console.log(`worker1-restarted answered ${result.replies.filter((r) => r.from === 'worker1-restarted').length} of them`);
    if (once !== sent.length) process.exitCode = 1;
  } catch (err) {
    if (err instanceof PrivilegeError) {
      console.error(`demo:cluster ${err.message}`);
      process.exitCode = 77;
    } else if (interrupt.signal.aborted) {
      console.error('interrupted; the namespaces are removed');
      process.exitCode = 130;
    } else {
      throw err;
    }
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
