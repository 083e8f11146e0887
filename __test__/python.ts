import { spawn } from 'node:child_process'
import type { TestContext } from 'node:test'
import { within } from './helpers'

// The pyzmq (libzmq) peers' interpreter: provisioned on first use by scripts/pyzmq.js, shared with
// the Rust test runner (scripts/test-rust.js).
const pyzmq: { pythonWithPyzmq(): string; pythonWithMajortomo(): string } = require('../scripts/pyzmq.js');

/**
 * The path of a Python interpreter that can `import zmq`, creating the virtual environment and
 * installing pyzmq from PyPI the first time. Throws with the failing step's output otherwise.
 */
export function pythonWithPyzmq(): string {
  return pyzmq.pythonWithPyzmq();
}

/** The same interpreter with majortomo (MDP 0.2 in Python) installed too, on first use. */
export function pythonWithMajortomo(): string {
  return pyzmq.pythonWithMajortomo();
}

/** Runs a pyzmq script; resolves to its stdout lines as they come (first line first). */
export function pyzmqScript(t: TestContext, script: string, args: string[]): { line(n: number): Promise<string> } {
  const child = spawn(pythonWithPyzmq(), ['-u', '-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => child.kill('SIGKILL'))
  let out = ''
  let err = ''
  const waiters: Array<() => void> = []
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    out += chunk
    for (const w of waiters.splice(0)) w()
  })
  child.stderr.on('data', (chunk: string) => {
    err += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  return {
    /** The `n`-th line (0-based) of its output. */
    line(n: number): Promise<string> {
      return within(
        new Promise<string>((resolve, reject) => {
          const check = () => {
            const lines = out.split('\n')
            if (lines.length > n + 1) resolve(lines[n])
            else waiters.push(check)
          }
          void exited.then((code) => reject(new Error(`python exited ${code}: ${err}`)))
          check()
        }),
        20000,
        `python line ${n}`,
      )
    },
  }
}
