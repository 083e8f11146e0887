// examples/majordomo/, run as a user would (separate Node processes, JS and TypeScript twins): a
// broker, workers for two services ("echo" twice, "countdown" streaming), and a client that asks
// MMI which services are up, sends concurrent requests with retries, and streams a countdown.
// Ctrl-C stops the workers gracefully and the broker.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { describe } from 'node:test'
import { Client } from 'zeromq-napi/majordomo'
import { HostProcess } from '../examples/cluster/netns.js'
import { ROOT, delay, freePort, test, use, within } from './helpers'

const STEP_MS = 15_000

function run(t: TestContext, script: string, args: string[]) {
  const env: Record<string, string | undefined> = { ...process.env, MDP_HEARTBEAT: '100' }
  delete env.NODE_TEST_CONTEXT
  const runner = script.endsWith('.ts') ? ['--import', 'tsx'] : []
  const child = spawn(process.execPath, [...runner, path.join(ROOT, 'examples', 'majordomo', script), ...args], { cwd: ROOT, env, stdio: 'pipe' })
  const proc = new HostProcess(script, child)
  const lines: string[] = []
  const waiters = new Set<() => void>()
  proc.on('line', (line: string) => {
    lines.push(line)
    for (const w of [...waiters]) w()
  })
  proc.on('exit', () => { for (const w of [...waiters]) w() })
  t.after(() => { child.kill('SIGKILL') })
  const report = () => `--- ${script} stdout:\n${lines.join('\n')}\n--- stderr:\n${proc.stderr.join('\n')}`
  return {
    lines,
    report,
    waitForLine(pattern: RegExp) {
      return within(new Promise<string>((resolve, reject) => {
        const check = () => {
          const line = lines.find((l) => pattern.test(l))
          if (line !== undefined) {
            waiters.delete(check)
            resolve(line)
          } else if (proc.exit !== null) {
            waiters.delete(check)
            reject(new Error(`${script} exited before printing ${pattern}\n${report()}`))
          }
        }
        waiters.add(check)
        check()
      }), STEP_MS, `${script} printing ${pattern}`)
    },
    async exitsCleanly() {
      const exit = await within(proc.exited, STEP_MS, `${script} exit`)
      assert.deepEqual(exit, { code: 0, signal: null }, report())
    },
    async interrupt() {
      child.kill('SIGINT')
      const exit = await within(proc.exited, STEP_MS, `${script} exit`)
      assert.deepEqual(exit, { code: 0, signal: null }, report())
    },
  }
}

for (const ext of ['js', 'ts'] as const) {
  describe(`examples/majordomo/*.${ext}`, () => {
    test('broker, two services, workers, a client with retries; Ctrl-C stops everything cleanly', async (t) => {
      const endpoint = `tcp://127.0.0.1:${await freePort()}`
      const broker = run(t, `broker.${ext}`, [endpoint])
      await broker.waitForLine(/^Majordomo broker on tcp:\/\/127\.0\.0\.1:\d+/)
      const workers = [
        run(t, `worker.${ext}`, ['echo', endpoint, 'echo-1']),
        run(t, `worker.${ext}`, ['echo', endpoint, 'echo-2']),
        run(t, `worker.${ext}`, ['countdown', endpoint, 'countdown-1']),
      ]
      for (const w of workers) await w.waitForLine(/^Worker \S+ serving/)
      // The workers register a moment after they start: wait until MMI says both services are up.
      const probe = use(t, new Client())
      probe.connect(endpoint)
      for (const service of ['echo', 'countdown']) {
        await within((async () => {
          while ((await probe.request('mmi.service', service, { timeout: 1000, retries: 3 }))[0].toString() !== '200') await delay(20)
        })(), STEP_MS, `${service} registered`)
      }
      const client = run(t, `client.${ext}`, [endpoint, '6'])
      await client.exitsCleanly()
      assert.deepEqual(client.lines.slice(0, 3), [
        'Service echo: up (200)',
        'Service countdown: up (200)',
        'Service weather: not available (404)',
      ])
      const replies = client.lines.filter((l) => l.startsWith('Reply '))
      assert.equal(replies.length, 6, client.report())
      replies.forEach((line, i) => assert.match(line, new RegExp(`^Reply ${i + 1}: hello ${i + 1} / by echo-[12]$`)))
      assert.equal(client.lines.at(-1), 'Countdown: 3, 2, 1, liftoff')
      for (const w of workers) await w.interrupt()
      await broker.interrupt()
      assert.equal(broker.lines.at(-1), 'Broker stopped.')
    }, { timeout: 60_000 })
  })
}
