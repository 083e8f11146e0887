// zeromq-napi/majordomo with Python's majortomo 0.2 (MDP 0.2 on pyzmq, i.e. libzmq) in every
// pairing (issue 19, item 2): our broker with its workers and clients, its broker with our
// worker and client (so our client and worker also run through a libzmq-based broker).
// majortomo is installed into the tests' own virtual environment (scripts/pyzmq.js).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'
import { describe } from 'node:test'
import type { TestContext } from 'node:test'
import { Broker, Client, Worker } from 'zeromq-napi/majordomo'
import { ROOT, freePort, test, texts, use, within } from './helpers'
import { pythonWithMajortomo } from './python'

const PEER = path.join(ROOT, '__test__', 'fixtures', 'majortomo_peer.py')
const HB = 100

interface Peer {
  lines: string[]
  /** Resolves with the first line (seen or to come) that `match` accepts. */
  line(match: (line: string) => boolean, what: string, ms?: number): Promise<string>
}

/** Starts a majortomo peer; it is killed when the test ends. Resolves once it printed 'ready'. */
async function majortomo(t: TestContext, ...args: string[]): Promise<Peer> {
  const child = spawn(pythonWithMajortomo(), ['-u', PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  t.after(() => { child.kill('SIGKILL') })
  const lines: string[] = []
  const waiters = new Set<() => void>()
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(l)
    for (const w of [...waiters]) w()
  })
  const peer: Peer = {
    lines,
    line(match, what, ms = 8000) {
      return within(new Promise<string>((resolve) => {
        const check = () => {
          const found = lines.find(match)
          if (found !== undefined) {
            waiters.delete(check)
            resolve(found)
          }
        }
        waiters.add(check)
        check()
      }), ms, `majortomo ${args[0]}: ${what} (stderr: ${stderr.slice(-500)})`)
    },
  }
  await peer.line((l) => l === 'ready', 'ready')
  return peer
}

async function ourBroker(t: TestContext) {
  const broker = use(t, new Broker({ heartbeatInterval: HB }))
  await broker.bind('tcp://127.0.0.1:*')
  void broker.run()
  return { broker, endpoint: String(broker.lastEndpoint) }
}

async function theirBroker(t: TestContext) {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`
  await majortomo(t, 'broker', endpoint)
  return endpoint
}

/** Our worker, answering as the Python one does. */
function ourWorker(t: TestContext, endpoint: string, service: string, name: string, concurrency = 1) {
  const worker = use(t, new Worker(service, { heartbeatInterval: HB }))
  worker.connect(endpoint)
  void worker.serve((msg) => {
    if (msg[0].toString() === 'stream') {
      return (async function* () {
        yield 'p1'
        yield 'p2'
        return [name, 'end']
      })()
    }
    return [name, ...msg]
  }, { concurrency })
}

function ourClient(t: TestContext, endpoint: string) {
  const client = use(t, new Client())
  client.connect(endpoint)
  return client
}

/** Requests and streams from our client, checked against what the named worker answers. */
async function exerciseOurClient(client: Client, service: string, name: string) {
  // The first request may wait for the worker to register: retries cover the start-up.
  assert.deepEqual(texts(await within(client.request(service, ['hello', 'world'], { timeout: 1000, retries: 5 }), 8000, 'request')), [name, 'hello', 'world'])
  const parts: string[][] = []
  for await (const part of client.stream(service, 'stream', { timeout: 3000 })) parts.push(texts(part))
  assert.deepEqual(parts, [['p1'], ['p2'], [name, 'end']])
  const many = await within(Promise.all(Array.from({ length: 20 }, (_, i) => client.request(service, `c${i}`, { timeout: 3000 }))), 8000, 'concurrent')
  many.forEach((reply, i) => assert.deepEqual(texts(reply), [name, `c${i}`]))
}

/** majortomo's client: N requests (odd ones streamed); every reply checked. */
async function exerciseTheirClient(t: TestContext, endpoint: string, service: string, name: string) {
  const client = await majortomo(t, 'client', endpoint, service, '6')
  await client.line((l) => l.includes('"sent": "stream"') && client.lines.length >= 7, 'six replies', 10000)
  const replies = client.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { sent: string; parts: string[][] })
  assert.equal(replies.length, 6)
  for (const r of replies) {
    if (r.sent === 'stream') assert.deepEqual(r.parts, [['p1'], ['p2'], [name, 'end']])
    else assert.deepEqual(r.parts, [[name, r.sent]])
  }
}

describe('our broker with majortomo peers', () => {
  test('majortomo worker and majortomo client', async (t) => {
    const { endpoint, broker } = await ourBroker(t)
    await majortomo(t, 'worker', endpoint, 'py', 'mt-worker')
    await within((async () => { while ((broker.services.get('py')?.workers ?? 0) < 1) await new Promise((r) => setTimeout(r, 10)) })(), 5000, 'registered')
    await exerciseTheirClient(t, endpoint, 'py', 'mt-worker')
  })

  test('majortomo worker, our client (requests, PARTIAL/FINAL stream, concurrency)', async (t) => {
    const { endpoint } = await ourBroker(t)
    await majortomo(t, 'worker', endpoint, 'py', 'mt-worker')
    await exerciseOurClient(ourClient(t, endpoint), 'py', 'mt-worker')
  })

  test('our worker, majortomo client', async (t) => {
    const { endpoint } = await ourBroker(t)
    ourWorker(t, endpoint, 'js', 'our-worker')
    await exerciseTheirClient(t, endpoint, 'js', 'our-worker')
  })

  test('a majortomo worker is purged when it dies and our broker stops routing to it', async (t) => {
    const { endpoint, broker } = await ourBroker(t)
    const child = spawn(pythonWithMajortomo(), ['-u', PEER, 'worker', endpoint, 'py', 'doomed'], { stdio: ['ignore', 'pipe', 'ignore'] })
    t.after(() => { child.kill('SIGKILL') })
    await within((async () => { while ((broker.services.get('py')?.workers ?? 0) < 1) await new Promise((r) => setTimeout(r, 10)) })(), 8000, 'registered')
    child.kill('SIGKILL')
    await within((async () => { while ((broker.services.get('py')?.workers ?? 0) > 0) await new Promise((r) => setTimeout(r, 10)) })(), 3000, 'purged')
  })
})

describe("majortomo's broker (pyzmq, libzmq) with our peers", () => {
  test('our worker and our client (two of our workers, concurrent calls each get their own reply)', async (t) => {
    const endpoint = await theirBroker(t)
    ourWorker(t, endpoint, 'js', 'our-worker', 2)
    ourWorker(t, endpoint, 'js', 'our-worker', 2)
    await exerciseOurClient(ourClient(t, endpoint), 'js', 'our-worker')
  })

  test('our worker, majortomo client', async (t) => {
    const endpoint = await theirBroker(t)
    ourWorker(t, endpoint, 'js', 'our-worker')
    await exerciseTheirClient(t, endpoint, 'js', 'our-worker')
  })

  test('majortomo worker, our client', async (t) => {
    const endpoint = await theirBroker(t)
    await majortomo(t, 'worker', endpoint, 'py', 'mt-worker')
    await exerciseOurClient(ourClient(t, endpoint), 'py', 'mt-worker')
  })
})
