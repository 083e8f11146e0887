// A socket finalized while JavaScript can still reach it must not crash the process. Deno's test
// runner finalizes a test file's leftover native objects when the file ends and keeps running its
// JavaScript: a leaked serving Reply used to resume its serve() loop on the freed native socket
// (src/liveness.rs, Executor::drop_owned_by). This runs such a file under Deno in a child process.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { ROOT, test } from './helpers'

/** The deno binary of the `deno` devDependency (as scripts/test-runtimes.js finds it), if installed. */
function denoBinary(): string | undefined {
  for (const candidate of ['deno/deno', '@deno/linux-x64-glibc/deno', '@deno/darwin-arm64/deno']) {
    const file = path.join(ROOT, 'node_modules', candidate)
    if (fs.existsSync(file) && fs.statSync(file).size > 1024 * 1024) return file
  }
  return undefined
}

test('Deno: a test file that leaks a serving Reply and a pending receive() exits cleanly', async (t) => {
  const deno = denoBinary()
  if (deno === undefined) {
    t.skip('the deno devDependency is not installed')
    return
  }
  const child = spawn(deno, ['test', '-A', '--no-check', '--sloppy-imports', '__test__/fixtures/deno-leak.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  })
  let output = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => { output += chunk })
  child.stderr.on('data', (chunk: string) => { output += chunk })
  const timer = setTimeout(() => child.kill('SIGKILL'), 15000)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (c, s) => resolve([c, s]))
  }).finally(() => clearTimeout(timer))
  assert.equal(signal, null, `deno died of ${signal}:\n${output}`)
  assert.equal(code, 0, `deno exited with ${code}:\n${output}`)
  assert.match(output, /1 passed \| 0 failed/)
})
