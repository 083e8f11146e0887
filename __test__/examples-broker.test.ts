// The broker examples, run as a user would (separate Node processes, JS and TypeScript twins):
// broker + two workers + a client with retries, and the load-balancing broker with a slow and a
// fast worker, where the fast one answers most requests and every request is answered once.
import assert from 'node:assert/strict'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import * as path from 'node:path'
import { after, describe } from 'node:test'
import { Request } from 'zeromq-napi'
import { freePort, test, texts, within } from './helpers'

const ROOT = path.resolve(__dirname, '..')
const STEP_MS = 15_000

const live = new Set<ChildProcessWithoutNullStreams>()
after(() => {
  for (const child of live) child.kill('SIGKILL')
})

/** A running example: its stdout lines, and its exit. */
class Proc {
  readonly child: ChildProcessWithoutNullStreams
  readonly lines: string[] = []
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private partial = ''
  private stderr = ''
  private readonly waiters = new Set<() => void>()

  constructor(readonly name: string, script: string, args: string[], env: Record<string, string> = {}) {
    const childEnv: Record<string, string | undefined> = { ...process.env, WORK_MS: '0', ...env }
    delete childEnv.NODE_TEST_CONTEXT
    const runner = script.endsWith('.ts') ? ['--import', 'tsx'] : []
    this.child = spawn(process.execPath, [...runner, path.join(ROOT, 'examples', script), ...args], { cwd: ROOT, env: childEnv })
    live.add(this.child)
    this.child.stdout.setEncoding('utf8')
    this.child.stdout.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n')
      this.partial = parts.pop() ?? ''
      this.lines.push(...parts)
      for (const wake of this.waiters) wake()
    })
    this.child.stderr.setEncoding('utf8')
    this.child.stderr.on('data', (chunk: string) => { this.stderr += chunk })
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        live.delete(this.child)
        for (const wake of this.waiters) wake()
        resolve({ code, signal })
      })
    })
  }

  report(): string {
    return `--- ${this.name} stdout:\n${this.lines.join('\n')}\n${this.partial}\n--- stderr:\n${this.stderr}`
  }

  /** The first stdout line matching `pattern` (rejects if the process exits first). */
  waitForLine(pattern: RegExp): Promise<RegExpMatchArray> {
    return within(
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = () => {
          for (const line of this.lines) {
            const match = pattern.exec(line)
            if (match !== null) {
              this.waiters.delete(check)
              resolve(match)
              return
            }
          }
          if (this.child.exitCode !== null || this.child.signalCode !== null) {
            this.waiters.delete(check)
            reject(new Error(`${this.name} exited before printing ${pattern}\n${this.report()}`))
          }
        }
        this.waiters.add(check)
        check()
      }),
      STEP_MS,
      `${this.name} printing ${pattern}`,
    )
  }

  async exitsCleanly(): Promise<void> {
    const exit = await within(this.exited, STEP_MS, `${this.name} exit`)
    assert.deepEqual(exit, { code: 0, signal: null }, this.report())
  }

  /** Ctrl-C: the example closes its sockets and exits 0. */
  async interrupt(): Promise<void> {
    this.child.kill('SIGINT')
    await this.exitsCleanly()
  }
}

for (const ext of ['js', 'ts'] as const) {
  describe(`broker.${ext}, worker.${ext}, client.${ext}`, () => {
    test('a client\'s requests go through the broker\'s Proxy to two workers and come back', async () => {
      const [fePort, bePort] = [await freePort(), await freePort()]
      const broker = new Proc('broker', `broker.${ext}`, [`tcp://127.0.0.1:${fePort}`, `tcp://127.0.0.1:${bePort}`])
      await broker.waitForLine(/^Broker: clients on tcp:\/\/127\.0\.0\.1:\d+, workers on/)
      const workers = ['w1', 'w2'].map((name) => new Proc(name, `worker.${ext}`, [`tcp://127.0.0.1:${bePort}`, name]))
      for (const w of workers) await w.waitForLine(/^Worker w\d connecting/)
      const client = new Proc('client', `client.${ext}`, [`tcp://127.0.0.1:${fePort}`, '6'])
      await client.exitsCleanly()
      const replies = client.lines.filter((l) => l.startsWith('Reply '))
      assert.equal(replies.length, 6, client.report())
      replies.forEach((line, i) => assert.match(line, new RegExp(`^Reply ${i + 1}: request ${i + 1} handled by w[12]$`)))
      for (const w of workers) await w.interrupt()
      await broker.interrupt()
      assert.equal(broker.lines.at(-1), 'Broker stopped.')
    }, { timeout: 60_000 })
  })

  describe(`lbbroker.${ext} and lbworker.${ext}`, () => {
    test('with a slow worker and a fast one, the fast one answers most requests; every request is answered exactly once', async (t) => {
      const [fePort, bePort] = [await freePort(), await freePort()]
      const broker = new Proc('lbbroker', `lbbroker.${ext}`, [`tcp://127.0.0.1:${fePort}`, `tcp://127.0.0.1:${bePort}`])
      await broker.waitForLine(/^Load-balancing broker: clients on/)
      const slow = new Proc('slow', `lbworker.${ext}`, [`tcp://127.0.0.1:${bePort}`, 'slow'], { WORK_MS: '2000' })
      const fast = new Proc('fast', `lbworker.${ext}`, [`tcp://127.0.0.1:${bePort}`, 'fast'], { WORK_MS: '0' })
      await slow.waitForLine(/^Worker slow connecting/)
      await fast.waitForLine(/^Worker fast connecting/)
      // 4 clients with 6 requests each, in flight at once; ids tell every answer apart.
      const clients = [0, 1, 2, 3].map(() => {
        const c = new Request()
        c.connect(`tcp://127.0.0.1:${fePort}`)
        t.after(() => c.close())
        return c
      })
      const answers = new Map<string, string[]>()
      await within(
        Promise.all(
          clients.map(async (c, n) => {
            for (let i = 0; i < 6; i++) {
              const id = `${n}.${i}`
              const [reply] = texts(await c.request(`job ${id}`))
              const by = /^job (\S+) handled by (slow|fast)$/.exec(reply)
              assert.ok(by, `unexpected reply ${reply}`)
              assert.equal(by[1], id, 'the reply is to this very request')
              answers.set(id, [...(answers.get(id) ?? []), by[2]])
            }
          }),
        ),
        30_000,
        'all requests answered',
      )
      assert.equal(answers.size, 24)
      for (const [id, by] of answers) assert.equal(by.length, 1, `request ${id} answered ${by.length} times`)
      const workedBy = [...answers.values()].flat()
      const fastCount = workedBy.filter((w) => w === 'fast').length
      assert.ok(fastCount > workedBy.length / 2, `fast answered ${fastCount} of ${workedBy.length}`)
      // Each worker saw each of its jobs once.
      const received = (p: Proc) => p.lines.filter((l) => / received: job /.test(l)).length
      assert.equal(received(fast), fastCount)
      assert.equal(received(slow), workedBy.length - fastCount)
      await fast.interrupt()
      await slow.interrupt()
      await broker.interrupt()
    }, { timeout: 60_000 })
  })
}
