'use strict';
// The test files that use only the public API: they import only `zeromq-napi` (and
// `zeromq-napi/majordomo`), node: built-ins and
// __test__/helpers.ts (no lib/ internals, no zeromq.js or Python peers). The other runtimes
// (scripts/test-runtimes.js: Bun, Deno) and the other platforms (scripts/test-platforms.js: Node for
// arm64 under qemu, Node for Windows under Wine) run these. Left out everywhere: install (npm pack,
// npm install), the zeromq.js/pyzmq/JeroMQ interop files and v5-compat (zeromq.js peers), examples
// (Python peers), readme (runs `node` and `tsc` on the README), memory (V8's --expose-gc), zerocopy
// and runtime-paths (lib/ internals, Node's reader choice).
const PUBLIC_API_TESTS = [
  '__test__/request.test.ts',
  '__test__/reply.test.ts',
  '__test__/messages.test.ts',
  '__test__/errors.test.ts',
  '__test__/endpoints.test.ts',
  '__test__/abort.test.ts',
  '__test__/options.test.ts',
  '__test__/hostile.test.ts',
  '__test__/lifecycle.test.ts',
  '__test__/cjs.test.ts',
  '__test__/esm-cli.test.ts',
  '__test__/esm.test.mjs',
  '__test__/exports.test.ts',
  '__test__/events.test.ts',
  '__test__/drain.test.ts',
  '__test__/majordomo.test.ts',
  '__test__/patterns.test.ts',
];

module.exports = { PUBLIC_API_TESTS };
