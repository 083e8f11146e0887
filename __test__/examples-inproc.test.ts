// The inproc Pair example, run as a user would (a Node process, JS and TypeScript twins): two
// worker threads talk over inproc://pair-demo, every ping is answered, and it exits 0.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import * as path from 'node:path'
import { describe } from 'node:test'
import { capability } from 'zeromq-napi'
import { test, within } from './helpers'

const ROOT = path.resolve(__dirname, '..')

function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env }
  delete env.NODE_TEST_CONTEXT
  const runner = script.endsWith('.ts') ? ['--import', 'tsx'] : []
  const child = spawn(process.execPath, [...runner, path.join(ROOT, 'examples', script), ...args], { cwd: ROOT, env })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })))
}

describe('examples: Pair over inproc between two worker threads', { skip: capability.inproc ? false : 'no inproc here' }, () => {
  for (const script of ['inproc_pair.js', 'inproc_pair.ts']) {
    test(`${script}: every ping answered, then done`, async () => {
      const res = await within(run(script, ['4']), 30000, script)
      assert.equal(res.code, 0, res.stderr)
      const lines = res.stdout.trim().split('\n')
      assert.deepEqual(lines.slice(0, 4), [1, 2, 3, 4].map((i) => `ping ${i} -> pong ${i}`))
      assert.equal(lines[4], 'done: 4 round trips over inproc://pair-demo between two worker threads')
    })

    test(`${script}: a bad argument prints the usage and exits 2`, async () => {
      const res = await within(run(script, ['zero']), 30000, script)
      assert.equal(res.code, 2)
      assert.match(res.stderr, /^error: rounds must be a positive integer, got zero\nusage: /)
    })
  }
})
