// Shared fixtures for the JS test suite: bounded waits, error-code assertions,
// a bound Reply on an ephemeral port, an echo loop, free ports, ipc paths, child processes.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { test as nodeTest, type TestContext } from 'node:test'
import { Reply, Request } from 'zeromq-napi'

// Under Node (tsx) these files are CommonJS; Deno runs them as ES modules, with no __dirname (and
// from the repository root: scripts/test-runtimes.js). The repository is the directory up from here
// whose package.json is zeromq-napi's: scripts/test-platforms.js runs these files transpiled to JS
// from a directory under .cache/.
export const ROOT = typeof __dirname === 'string' ? packageRoot(__dirname) : process.cwd()

function packageRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json')
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'zeromq-napi') return dir
  }
  return path.resolve(from, '..')
}

/**
 * How much longer than here a test may take: scripts/test-platforms.js sets it for a Node run by an
 * emulator (qemu runs arm64 code several times slower), so a slow machine is not taken for a hang.
 */
const TIMEOUT_SCALE = Math.max(1, Number(process.env.ZEROMQ_NAPI_TEST_TIMEOUT_SCALE ?? 1) || 1)

/**
 * node:test's `test` with a default timeout, so an operation that hangs (the very bug class these tests look for)
 * fails its own test instead of stalling the whole run. Every test also guards its awaits with `within()`.
 */
export function test(name: string, fn: (t: TestContext) => void | Promise<void>, opts: { timeout?: number } = {}): Promise<void> {
  return nodeTest(name, { timeout: (opts.timeout ?? 20000) * TIMEOUT_SCALE }, async (t) => {
    // `t.after` hooks run here, when `fn` settles, and from node:test's own `after` too (whichever
    // comes first; a timed-out test still gets them from node:test). Deno 2.9's node:test never runs
    // `after` hooks of tests nested in a `describe`: the sockets they close would outlive the file.
    const hooks: Array<() => unknown> = []
    let ran: Promise<void> | undefined
    const runHooks = () => {
      ran ??= (async () => {
        for (const hook of hooks) await hook()
      })()
      return ran
    }
    t.after(runHooks)
    const context = new Proxy(t, {
      get(target, key) {
        if (key === 'after') return (hook: () => unknown) => { hooks.push(hook) }
        const value: unknown = Reflect.get(target, key, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    let failure: { error: unknown } | undefined
    try {
      await fn(context)
    } catch (error) {
      failure = { error }
    }
    try {
      await runHooks()
    } catch (error) {
      failure ??= { error }
    }
    if (failure !== undefined) throw failure.error
  })
}

export type Closable = { close(): void }
export type ReplyOptions = NonNullable<ConstructorParameters<typeof Reply>[0]>
export type RequestOptions = NonNullable<ConstructorParameters<typeof Request>[0]>

/** An error as the contract describes it: an Error with a string `.code` (and `.address` for endpoints). */
export type CodedError = Error & { code?: unknown; errno?: unknown; detail: string; address?: unknown }

/** Closes `sock` when the test ends (pass or fail), so no socket outlives its test. */
export function use<T extends Closable>(t: TestContext, sock: T): T {
  t.after(() => sock.close())
  return sock
}

/** Only for "nothing may happen in this window" checks; everything else awaits an event. */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Rejects if `p` does not settle within `ms` (so a hang fails the test quickly instead of stalling the run). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([p, guard]).finally(() => clearTimeout(timer))
}

/** Settles to 'pending' if `p` is still pending after `ms`, else to its outcome (never rejects). */
export async function stateAfter(p: Promise<unknown>, ms: number): Promise<'pending' | 'resolved' | 'rejected'> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending'
  p.then(
    () => { state = 'resolved' },
    () => { state = 'rejected' },
  )
  await delay(ms)
  return state
}

/** Asserts `p` rejects within `ms` with an Error whose `.code` is `code`; returns the error. */
export async function rejectsCode(p: Promise<unknown>, code: string, ms = 2000): Promise<CodedError> {
  let outcome: { ok: true; value: unknown } | { ok: false; err: unknown }
  try {
    outcome = { ok: true, value: await within(p, ms, `expected rejection ${code}`) }
  } catch (err) {
    outcome = { ok: false, err }
  }
  if (outcome.ok) assert.fail(`expected rejection with code ${code}, but it resolved with ${fmt(outcome.value)}`)
  const err = outcome.err as CodedError
  assert.ok(err instanceof Error, `expected an Error, got ${fmt(err)}`)
  assert.ok(!err.message.includes('did not settle within'), `expected ${code} but: ${err.message}`)
  assert.equal(err.code, code, `expected code ${code}, got ${String(err.code)} (${err.message})`)
  return err
}

/** Asserts the synchronous `fn` throws an Error with `.code === code`; returns the error. */
export function throwsCode(fn: () => unknown, code: string): CodedError {
  let thrown: unknown
  let threw = false
  try {
    fn()
  } catch (err) {
    threw = true
    thrown = err
  }
  assert.ok(threw, `expected a throw with code ${code}`)
  const err = thrown as CodedError
  assert.ok(err instanceof Error, `expected an Error, got ${fmt(err)}`)
  assert.equal(err.code, code, `expected code ${code}, got ${String(err.code)} (${err.message})`)
  return err
}

/** Calls an async API and asserts it returned a promise instead of throwing synchronously. */
export function callAsync(fn: () => Promise<unknown>, what: string): Promise<unknown> {
  let p: unknown
  try {
    p = fn()
  } catch (err) {
    assert.fail(`${what} threw synchronously instead of rejecting: ${fmt(err)}`)
  }
  assert.ok(p instanceof Promise, `${what} did not return a Promise`)
  return p
}

/** Asserts `p` rejects with a TypeError within `ms` (and that the call did not throw synchronously). */
export async function rejectsTypeError(fn: () => Promise<unknown>, what: string, ms = 2000): Promise<void> {
  const p = callAsync(fn, what)
  await assert.rejects(within(p, ms, what), (err: unknown) => {
    assert.ok(err instanceof TypeError, `${what}: expected TypeError, got ${fmt(err)}`)
    return true
  })
}

export function fmt(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(fmt).join(', ')}]`
  if (Buffer.isBuffer(v)) return `<Buffer ${JSON.stringify(v.subarray(0, 40).toString())}${v.length > 40 ? '…' : ''}>`
  if (v instanceof Error) return `${v.name}(${(v as CodedError).code ?? ''}): ${v.message}`
  return String(v)
}

/** Frames of a received message as strings. */
export const texts = (msg: Buffer[]): string[] => msg.map((b) => b.toString())

/** Asserts a received message has the contract's shape: a non-empty array of Buffers. */
export function assertMessage(msg: unknown): asserts msg is Buffer[] {
  assert.ok(Array.isArray(msg), `receive() must resolve to an array, got ${fmt(msg)}`)
  assert.ok(msg.length >= 1, 'receive() must never resolve to an empty array')
  for (const frame of msg) assert.ok(Buffer.isBuffer(frame), `every frame must be a Buffer, got ${fmt(frame)}`)
}

export const TCP_LOOPBACK = 'tcp://127.0.0.1:*'
export const TCP_ENDPOINT = /^tcp:\/\/127\.0\.0\.1:(\d+)$/

/** Port number of a `tcp://host:port` endpoint. */
export function portOf(endpoint: string | null): number {
  assert.ok(endpoint, 'endpoint is null')
  const m = /:(\d+)$/.exec(endpoint)
  assert.ok(m, `no port in ${endpoint}`)
  const port = Number(m[1])
  assert.ok(port > 0 && port < 65536, `bad port in ${endpoint}`)
  return port
}

/** A Reply bound to an ephemeral loopback port; closed when the test ends. */
export async function boundReply(t: TestContext, options?: ReplyOptions, address = TCP_LOOPBACK) {
  const rep = use(t, new Reply(options))
  await rep.bind(address)
  const endpoint = rep.lastEndpoint
  assert.ok(endpoint, 'lastEndpoint must be set after bind')
  return { rep, endpoint }
}

/** A Request connected to `endpoint`; closed when the test ends. */
export function connectedRequest(t: TestContext, endpoint: string | string[], options?: RequestOptions): Request {
  const req = use(t, new Request(options))
  for (const e of Array.isArray(endpoint) ? endpoint : [endpoint]) req.connect(e)
  return req
}

export type Answer = string | Buffer | null | [string | Buffer | null, ...Array<string | Buffer | null>]

/** A computed list of frames as a message (the types take only non-empty arrays); asserts it is one. */
export function frames<T>(list: T[]): [T, ...T[]] {
  assert.ok(list.length > 0, 'a message has at least one frame')
  return list as [T, ...T[]]
}

/**
 * Answers requests on `rep` with a plain receive/send loop (no serve(), so Request tests do not depend on it).
 * Stops quietly when the socket closes. `seen` collects every request as strings.
 */
export function answerLoop(rep: Reply, answer: (msg: [Buffer, ...Buffer[]]) => Answer = (m) => m) {
  const seen: string[][] = []
  const done = (async () => {
    for (;;) {
      let msg: [Buffer, ...Buffer[]]
      try {
        msg = await rep.receive()
      } catch {
        return
      }
      seen.push(texts(msg))
      try {
        await rep.send(answer(msg))
      } catch {
        return
      }
    }
  })()
  return { seen, done }
}

/** A TCP port that was free a moment ago (for "client before server" and `tcp://*:PORT`). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject)
    srv.listen(0, host, () => resolve())
  })
  const { port } = srv.address() as net.AddressInfo
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

/** A fresh temp dir for ipc sockets, removed when the test ends. Returns a builder for `ipc://` addresses. */
export function ipcDir(t: TestContext): (name: string) => string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmqn-test-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return (name) => `ipc://${path.join(dir, name)}`
}

export function hasIPv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(false))
    srv.listen(0, '::1', () => srv.close(() => resolve(true)))
  })
}

export interface ChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** ms from spawn to exit */
  ms: number
}

/**
 * Runs CommonJS `source` in a child `node` with the repo root as cwd (so `require('zeromq-napi')` resolves by name).
 * `onLine` sees stdout line by line (to react to what the child reports); the child is killed after `timeoutMs`.
 * `env` is added to this process's environment.
 */
export function runNode(
  source: string,
  opts: {
    args?: string[]
    timeoutMs?: number
    env?: Record<string, string>
    onLine?: (line: string, child: import('node:child_process').ChildProcess) => void
  } = {},
): Promise<ChildResult> {
  const started = Date.now()
  const child = spawn(process.execPath, [...(opts.args ?? []), '-e', source], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env === undefined ? process.env : { ...process.env, ...opts.env },
  })
  let stdout = ''
  let stderr = ''
  let partial = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk
    partial += chunk
    let i: number
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i)
      partial = partial.slice(i + 1)
      opts.onLine?.(line, child)
    }
  })
  child.stderr.on('data', (chunk: string) => { stderr += chunk })
  const timer = setTimeout(() => child.kill('SIGKILL'), (opts.timeoutMs ?? 15000) * TIMEOUT_SCALE)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started })
    })
  })
}
