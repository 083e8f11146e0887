// The pub-sub, pipeline and forwarder examples, run as a user would (separate Node processes, JS
// and TypeScript twins): weather server and client (only the chosen zipcode arrives), the
// ventilator/worker/sink pipeline with two workers (every task's result arrives once, both workers
// share the work), and weather through the XSubscriber/XPublisher forwarder.
import assert from 'node:assert/strict'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import * as path from 'node:path'
import { after, describe } from 'node:test'
import { test, within } from './helpers'

const ROOT = path.resolve(__dirname, '..')
const STEP_MS = 20_000

const live = new Set<ChildProcessWithoutNullStreams>()
after(() => {
  for (const child of live) child.kill('SIGKILL')
})

/** A running example: its stdout lines as they come, and its exit. */
class Proc {
  readonly child: ChildProcessWithoutNullStreams
  readonly lines: string[] = []
  readonly exited: Promise<number | null>
  private partial = ''
  private stderr = ''
  private readonly waiters = new Set<() => void>()

  constructor(readonly name: string, script: string, args: string[], env: Record<string, string> = {}) {
    const childEnv: Record<string, string | undefined> = { ...process.env, ...env }
    delete childEnv.NODE_TEST_CONTEXT
    const runner = script.endsWith('.ts') ? ['--import', 'tsx'] : []
    this.child = spawn(process.execPath, [...runner, path.join(ROOT, 'examples', script), ...args], { cwd: ROOT, env: childEnv })
    live.add(this.child)
    this.child.stdout.setEncoding('utf8')
    this.child.stderr.setEncoding('utf8')
    this.child.stdout.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n')
      this.partial = parts.pop() ?? ''
      this.lines.push(...parts)
      for (const wake of this.waiters) wake()
    })
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk
    })
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        live.delete(this.child)
        for (const wake of this.waiters) wake()
        resolve(code)
      })
    })
  }

  /** The first line matching `re` (waiting for it). */
  line(re: RegExp): Promise<RegExpExecArray> {
    return within(
      new Promise<RegExpExecArray>((resolve, reject) => {
        const check = () => {
          for (const l of this.lines) {
            const m = re.exec(l)
            if (m) {
              this.waiters.delete(check)
              resolve(m)
              return
            }
          }
          if (this.child.exitCode !== null) reject(new Error(`${this.name} exited without ${re}; stderr: ${this.stderr}`))
        }
        this.waiters.add(check)
        check()
      }),
      STEP_MS,
      `${this.name}: ${re}`,
    )
  }

  async exitsOk(): Promise<void> {
    const code = await within(this.exited, STEP_MS, `${this.name} exits`)
    assert.equal(code, 0, `${this.name} exit code; stderr: ${this.stderr}`)
  }
}

for (const ext of ['js', 'ts'] as const) {
  describe(`examples (${ext})`, () => {
    test(`weather: wuserver.${ext} publishes, wuclient.${ext} gets only its zipcode`, async () => {
      const server = new Proc('wuserver', `wuserver.${ext}`, ['tcp://127.0.0.1:*'])
      const [, endpoint] = await server.line(/^Publishing weather on (\S+)/)
      const client = new Proc('wuclient', `wuclient.${ext}`, [endpoint, '10003', '20'])
      await client.exitsOk()
      assert.ok(client.lines.some((l) => /^Average temperature for zipcode 10003 was -?\d+\.\dF$/.test(l)), client.lines.join('\n'))
      server.child.kill('SIGTERM')
      await server.exitsOk()
    }, { timeout: 60_000 })

    test(`pipeline: taskvent.${ext} -> two taskwork.${ext} -> tasksink.${ext}, every result once, work shared`, async () => {
      const sink = new Proc('tasksink', `tasksink.${ext}`, ['tcp://127.0.0.1:*'])
      const [, sinkEndpoint] = await sink.line(/^Sink on (\S+)/)
      const vent = new Proc('taskvent', `taskvent.${ext}`, ['tcp://127.0.0.1:*', sinkEndpoint, '40', '2'], { WORK_MS: '5' })
      const [, ventEndpoint] = await vent.line(/^Ventilator on ([^,\s]+),/)
      const workers = ['w1', 'w2'].map((name) => new Proc(name, `taskwork.${ext}`, [ventEndpoint, sinkEndpoint, name]))
      await vent.exitsOk()
      const [, distinct, count, shares] = await sink.line(/^Received (\d+) distinct results of (\d+) in \d+ ms \((.*)\)$/)
      await sink.exitsOk()
      assert.equal(distinct, '40')
      assert.equal(count, '40')
      assert.match(shares, /w1: \d+/)
      assert.match(shares, /w2: \d+/)
      for (const w of workers) {
        w.child.kill('SIGTERM')
        await w.exitsOk()
      }
    }, { timeout: 60_000 })

    test(`forwarder: wuserver.${ext} -> wuproxy.${ext} (XSubscriber/XPublisher) -> wuclient.${ext}`, async () => {
      const proxy = new Proc('wuproxy', `wuproxy.${ext}`, ['tcp://127.0.0.1:*', 'tcp://127.0.0.1:*'])
      const [, frontend, backend] = await proxy.line(/^Forwarding from (\S+) to (\S+)/)
      const server = new Proc('wuserver', `wuserver.${ext}`, [frontend, '--connect'])
      await server.line(/^Publishing weather/)
      const client = new Proc('wuclient', `wuclient.${ext}`, [backend, '10007', '10'])
      await client.exitsOk()
      assert.ok(client.lines.some((l) => l.startsWith('Average temperature for zipcode 10007')), client.lines.join('\n'))
      server.child.kill('SIGTERM')
      proxy.child.kill('SIGTERM')
      await server.exitsOk()
      await proxy.exitsOk()
    }, { timeout: 60_000 })
  })
}
