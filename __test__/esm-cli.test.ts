// ESM from the command line: `node --input-type=module -e` imports the package by name (no tsx
// involved). A file of its own because Deno's emulation of the node CLI for child processes
// ignores --input-type (scripts/test-runtimes.js leaves it out there).
import assert from 'node:assert/strict'
import { runNode, test } from './helpers'

test('ESM import works outside the test runner too (node --input-type=module)', async () => {
  const res = await runNode(`import { Request, Reply } from 'zeromq-napi'; console.log(typeof Request, typeof Reply)`, {
    args: ['--input-type=module'],
  })
  assert.equal(res.code, 0, res.stderr)
  assert.equal(res.stdout.trim(), 'function function')
})
