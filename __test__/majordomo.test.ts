// zeromq-napi/majordomo (issue 19, API.md "Majordomo"): MDP 0.2 broker, worker and client on this
// package's Router/Dealer: routing by service, concurrent requests each getting their own reply,
// MMI, PARTIAL/FINAL streaming, queueing for absent services (bounded), heartbeats and purge,
// reconnect after a broker restart, retries that discard late replies, and the errors.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe } from 'node:test'
import type { TestContext } from 'node:test'
import { Dealer, Router } from 'zeromq-napi'
import { Broker, Client, Worker } from 'zeromq-napi/majordomo'
import { ROOT, delay, freePort, rejectsCode, test, texts, throwsCode, use, within } from './helpers'

const HB = 100

async function startBroker(t: TestContext, options: ConstructorParameters<typeof Broker>[0] = {}, address = 'tcp://127.0.0.1:*') {
  const broker = use(t, new Broker({ heartbeatInterval: HB, ...options }))
  await broker.bind(address)
  const endpoint = String(broker.lastEndpoint)
  const running = broker.run()
  return { broker, endpoint, running }
}

function startWorker(t: TestContext, endpoint: string, service: string, handler: Parameters<Worker['serve']>[0], serveOptions: Parameters<Worker['serve']>[1] = {}) {
  const worker = use(t, new Worker(service, { heartbeatInterval: HB }))
  worker.connect(endpoint)
  const served = worker.serve(handler, serveOptions)
  return { worker, served }
}

function connectedClient(t: TestContext, endpoint: string) {
  const client = use(t, new Client())
  client.connect(endpoint)
  return client
}

/** Polls `broker.services` (state, not an event: the broker has no service events) until `check` holds. */
async function until(what: string, check: () => boolean, ms = 3000) {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`)
    await delay(10)
  }
}

const workersOf = (broker: Broker, service: string) => broker.services.get(service)?.workers ?? 0

describe('entry points', () => {
  test('CommonJS and ESM give the same classes', () => {
    const req = createRequire(path.join(ROOT, 'package.json'))
    const cjs = req('zeromq-napi/majordomo') as { Broker: unknown; Worker: unknown; Client: unknown }
    assert.equal(cjs.Broker, Broker)
    assert.equal(cjs.Worker, Worker)
    assert.equal(cjs.Client, Client)
  })
})

describe('request and reply through the broker', () => {
  test('a request reaches a worker of its service and the FINAL reply comes back', async (t) => {
    const { endpoint, broker } = await startBroker(t)
    startWorker(t, endpoint, 'echo', (msg) => ['echo', ...msg])
    startWorker(t, endpoint, 'upper', (msg) => msg[0].toString().toUpperCase())
    const client = connectedClient(t, endpoint)
    assert.deepEqual(texts(await within(client.request('echo', ['a', 'b'], { timeout: 2000 }), 3000, 'echo')), ['echo', 'a', 'b'])
    assert.deepEqual(texts(await within(client.request('upper', 'abc', { timeout: 2000 }), 3000, 'upper')), ['ABC'])
    assert.deepEqual(broker.services.get('echo'), { workers: 1, queued: 0 })
  })

  test('concurrent requests to two services, several workers answering out of order: each call gets its own reply', async (t) => {
    const { endpoint } = await startBroker(t)
    for (let w = 0; w < 3; w++) {
      startWorker(t, endpoint, 'a', async (msg) => { await delay(Math.floor(Math.random() * 30)); return [`a${w}`, msg[0]] }, { concurrency: 2 })
    }
    startWorker(t, endpoint, 'b', async (msg) => { await delay(Math.floor(Math.random() * 10)); return ['b', msg[0]] }, { concurrency: 3 })
    const client = connectedClient(t, endpoint)
    const ids = Array.from({ length: 60 }, (_, i) => `${i % 3 === 0 ? 'b' : 'a'}:${i}`)
    const replies = await within(Promise.all(ids.map((id) => client.request(id[0], id, { timeout: 5000 }))), 8000, 'replies')
    const servedBy = new Set<string>()
    replies.forEach((reply, i) => {
      assert.equal(reply[1].toString(), ids[i], `call ${i} got its own reply`)
      assert.equal(reply[0].toString()[0], ids[i][0], 'from its own service')
      servedBy.add(reply[0].toString())
    })
    assert.ok(servedBy.size >= 3, `several workers answered (${[...servedBy].join(', ')})`)
  })

  test('mmi.service answers 200 for a service with a worker, 404 for one without; unknown mmi.* is 501', async (t) => {
    const { endpoint } = await startBroker(t)
    startWorker(t, endpoint, 'echo', (msg) => msg)
    const client = connectedClient(t, endpoint)
    await within((async () => {
      for (;;) {
        const [code] = await client.request('mmi.service', 'echo', { timeout: 1000 })
        if (code.toString() === '200') return
        await delay(10)
      }
    })(), 3000, 'echo registered')
    assert.deepEqual(texts(await client.request('mmi.service', 'nobody', { timeout: 1000 })), ['404'])
    assert.deepEqual(texts(await client.request('mmi.nothing', 'echo', { timeout: 1000 })), ['501'])
  })

  test('an async-generator handler streams PARTIALs then the FINAL; request() returns the FINAL only', async (t) => {
    const { endpoint } = await startBroker(t)
    startWorker(t, endpoint, 'count', async function* (msg) {
      const n = Number(msg[0].toString())
      for (let i = 1; i <= n; i++) {
        await delay(5)
        yield `part ${i}`
      }
      return ['done', String(n)]
    })
    const client = connectedClient(t, endpoint)
    const parts: string[][] = []
    await within((async () => { for await (const part of client.stream('count', '3', { timeout: 2000 })) parts.push(texts(part)) })(), 3000, 'stream')
    assert.deepEqual(parts, [['part 1'], ['part 2'], ['part 3'], ['done', '3']])
    assert.deepEqual(texts(await within(client.request('count', '2', { timeout: 2000 }), 3000, 'request')), ['done', '2'])
  })

  test('a sync generator handler streams too; a generator returning nothing ends with an empty FINAL', async (t) => {
    const { endpoint } = await startBroker(t)
    startWorker(t, endpoint, 'gen', function* () { yield 'x'; yield ['y', 'z'] })
    const client = connectedClient(t, endpoint)
    const parts: string[][] = []
    for await (const part of client.stream('gen', 'go', { timeout: 2000 })) parts.push(texts(part))
    assert.deepEqual(parts, [['x'], ['y', 'z'], ['']])
  })
})

test('a handler returning any async iterable (here a Readable) streams its values as PARTIALs', async (t) => {
  const { Readable } = await import('node:stream')
  const { endpoint } = await startBroker(t)
  startWorker(t, endpoint, 'readable', () => Readable.from(['r1', 'r2']))
  const client = connectedClient(t, endpoint)
  const parts: string[][] = []
  for await (const part of client.stream('readable', 'go', { timeout: 2000 })) parts.push(texts(part))
  assert.deepEqual(parts, [['r1'], ['r2'], ['']])
})

test('when the broker goes mid-stream the generator is stopped, and that is not reported as a handler failure', async (t) => {
  const { endpoint, broker } = await startBroker(t)
  const failures: unknown[] = []
  let stopped = false
  startWorker(t, endpoint, 'endless', async function* () {
    try {
      for (let i = 0; ; i++) {
        yield String(i)
        await delay(20)
      }
    } finally {
      stopped = true
    }
  }, { onError: (error) => failures.push(error) })
  const client = connectedClient(t, endpoint)
  const parts = client.stream('endless', 'go', { timeout: 2000 })[Symbol.asyncIterator]()
  assert.deepEqual(texts((await within(parts.next(), 3000, 'first part')).value as Buffer[]), ['0'])
  broker.close()
  await until('the generator was stopped', () => stopped)
  assert.deepEqual(failures, [])
})

describe('queueing and heartbeats', () => {
  test('a request for a service with no worker yet waits in the broker until one comes', async (t) => {
    const { endpoint, broker } = await startBroker(t)
    const client = connectedClient(t, endpoint)
    const pending = client.request('later', 'q', { timeout: 5000 })
    await until('queued', () => broker.services.get('later')?.queued === 1)
    startWorker(t, endpoint, 'later', (msg) => `got ${msg[0]}`)
    assert.deepEqual(texts(await within(pending, 3000, 'answered once a worker came')), ['got q'])
    assert.deepEqual(broker.services.get('later'), { workers: 1, queued: 0 })
  })

  test('the queue of a service is bounded by the broker\'s high-water mark', async (t) => {
    const { endpoint, broker } = await startBroker(t, { receiveHighWaterMark: 2 })
    const client = connectedClient(t, endpoint)
    const calls = [1, 2, 3, 4].map((i) => client.request('absent', String(i), { timeout: 400 }).catch((e: { code?: string }) => e.code))
    await until('two queued', () => broker.services.get('absent')?.queued === 2)
    await delay(100)
    assert.equal(broker.services.get('absent')?.queued, 2, 'no more than the bound')
    assert.deepEqual(await within(Promise.all(calls), 3000, 'calls'), ['EAGAIN', 'EAGAIN', 'EAGAIN', 'EAGAIN'])
  })

  test('a worker that stops heartbeating is purged; the request it held goes to another worker', async (t) => {
    const { endpoint, broker } = await startBroker(t)
    // A worker that registers, takes one request and then says nothing more (a hung process).
    const silent = use(t, new Dealer())
    silent.connect(endpoint)
    await silent.send(['', 'MDPW02', Buffer.from([1]), 'svc'])
    await until('silent worker registered', () => workersOf(broker, 'svc') === 1)
    const client = connectedClient(t, endpoint)
    const pending = client.request('svc', 'held', { timeout: 5000 })
    let request: Buffer[]
    do request = await within(silent.receive(), 3000, 'the request reaches the silent worker')
    while (request[2][0] !== 2)
    assert.equal(request[request.length - 1].toString(), 'held')
    startWorker(t, endpoint, 'svc', (msg) => `rescued ${msg[0]}`)
    assert.deepEqual(texts(await within(pending, 3000, 'answered by the live worker after the purge')), ['rescued held'])
    await until('only the live worker left', () => workersOf(broker, 'svc') === 1)
  })

  test('an idle worker that is closed says DISCONNECT: the broker forgets it at once, not at the purge', async (t) => {
    const { endpoint, broker } = await startBroker(t, { heartbeatInterval: 2000 })
    const worker = use(t, new Worker('bye', { heartbeatInterval: 2000 }))
    worker.connect(endpoint)
    const served = worker.serve((msg) => msg, { concurrency: 2 })
    await until('registered', () => workersOf(broker, 'bye') === 2)
    worker.close()
    await within(served, 1000, 'serve() resolves on close()')
    await until('forgotten well before a purge (6 s)', () => workersOf(broker, 'bye') === 0, 1000)
  })

  test('a worker reconnects and sends READY again by itself after the broker restarts; a client retry succeeds', async (t) => {
    const port = await freePort()
    const address = `tcp://127.0.0.1:${port}`
    const first = await startBroker(t, {}, address)
    let calls = 0
    startWorker(t, address, 'svc', (msg) => { calls++; return `ok ${msg[0]}` })
    const client = connectedClient(t, address)
    assert.deepEqual(texts(await within(client.request('svc', '1', { timeout: 2000 }), 3000, 'first')), ['ok 1'])
    first.broker.close()
    await first.running
    const second = await startBroker(t, {}, address)
    await until('the worker registered with the new broker', () => workersOf(second.broker, 'svc') === 1)
    assert.deepEqual(texts(await within(client.request('svc', '2', { timeout: 500, retries: 5 }), 5000, 'after restart')), ['ok 2'])
    assert.equal(calls, 2)
  })
})

describe('heartbeats both ways', () => {
  test('the broker heartbeats a registered worker every heartbeatInterval', async (t) => {
    const { endpoint } = await startBroker(t)
    const fake = use(t, new Dealer())
    fake.connect(endpoint)
    await fake.send(['', 'MDPW02', Buffer.from([1]), 'hb'])
    const t0 = Date.now()
    const beats: number[] = []
    while (beats.length < 3) {
      const msg = await within(fake.receive(), 2000, 'a HEARTBEAT')
      assert.deepEqual(msg.map((f) => f.toString('latin1')), ['', 'MDPW02', '\x05'], 'HEARTBEAT in the form the worker used')
      beats.push(Date.now() - t0)
      await fake.send(['', 'MDPW02', Buffer.from([5])])
    }
    assert.ok(beats[2] >= 2 * HB, `three heartbeats take at least two intervals (${beats.join(', ')} ms)`)
  })

  test('a worker heartbeats the broker, and when the broker goes silent it reconnects on a new socket and sends READY again', async (t) => {
    const fakeBroker = use(t, new Router())
    await fakeBroker.bind('tcp://127.0.0.1:*')
    const worker = use(t, new Worker('quiet', { heartbeatInterval: HB, heartbeatLiveness: 2 }))
    worker.connect(String(fakeBroker.lastEndpoint))
    void worker.serve((msg) => msg)
    const identities: string[] = []
    let heartbeats = 0
    const t0 = Date.now()
    // The fake broker never answers: the worker's heartbeats come, then after ~2 intervals of
    // silence a READY from a new identity.
    while (identities.length < 2) {
      const [id, ...frames] = await within(fakeBroker.receive(), 3000, 'a message from the worker')
      const command = frames[2]?.[0]
      if (command === 1) identities.push(id.toString('hex'))
      if (command === 5) heartbeats++
    }
    assert.notEqual(identities[0], identities[1], 'the second READY comes on a new connection')
    assert.ok(heartbeats >= 1, 'the worker heartbeated while waiting')
    assert.ok(Date.now() - t0 >= 2 * HB, 'not before its liveness ran out')
  })
})

describe('client retries', () => {
  test('a late reply to an abandoned attempt is discarded, never returned for another request', async (t) => {
    const { endpoint } = await startBroker(t)
    let n = 0
    startWorker(t, endpoint, 'slow-first', async (msg) => {
      if (n++ === 0) await delay(300)
      return `reply to ${msg[0]}`
    }, { concurrency: 2 })
    const client = connectedClient(t, endpoint)
    assert.deepEqual(texts(await within(client.request('slow-first', 'A', { timeout: 150, retries: 3 }), 3000, 'A')), ['reply to A'])
    // The first attempt's reply is still on its way; the next requests must not get it.
    for (const id of ['B', 'C', 'D']) {
      assert.deepEqual(texts(await within(client.request('slow-first', id, { timeout: 2000 }), 3000, id)), [`reply to ${id}`])
    }
    await delay(250)
    assert.deepEqual(texts(await within(client.request('slow-first', 'E', { timeout: 2000 }), 3000, 'E')), ['reply to E'])
  })

  test('EAGAIN when the attempts run out', async (t) => {
    const { endpoint } = await startBroker(t)
    const client = connectedClient(t, endpoint)
    const t0 = Date.now()
    await rejectsCode(client.request('nobody', 'x', { timeout: 100, retries: 2 }), 'EAGAIN', 3000)
    assert.ok(Date.now() - t0 >= 280, 'three attempts of 100 ms')
  })
})

describe('errors', () => {
  test('ABORT_ERR on the signal (already aborted, and while waiting); EBADF after close(); EAGAIN for a call pending at close()', async (t) => {
    const { endpoint } = await startBroker(t)
    const client = use(t, new Client())
    client.connect(endpoint)
    await rejectsCode(client.request('x', 'y', { signal: AbortSignal.abort() }), 'ABORT_ERR', 500)
    const ac = new AbortController()
    const waiting = client.request('nobody', 'y', { signal: ac.signal })
    await delay(20)
    ac.abort()
    const err = await rejectsCode(waiting, 'ABORT_ERR', 500)
    assert.equal(err.name, 'AbortError')
    const pending = client.request('nobody', 'z')
    await delay(20)
    client.close()
    await rejectsCode(pending, 'EAGAIN', 500)
    await rejectsCode(client.request('x', 'y'), 'EBADF', 500)
    const it = client.stream('x', 'y')[Symbol.asyncIterator]()
    await rejectsCode(it.next(), 'EBADF', 500)
    throwsCode(() => client.connect(endpoint), 'EBADF')
    client.close() // idempotent
  })

  test('broker.run() resolves when its signal aborts (the socket stays open) and when the broker closes', async (t) => {
    const broker = use(t, new Broker({ heartbeatInterval: HB }))
    await broker.bind('tcp://127.0.0.1:*')
    const ac = new AbortController()
    const running = broker.run({ signal: ac.signal })
    await delay(20)
    ac.abort()
    await within(running, 1000, 'run() resolves on abort')
    assert.equal(broker.closed, false)
    const again = broker.run()
    await delay(20)
    broker.close()
    await within(again, 1000, 'run() resolves on close()')
    assert.equal(broker.closed, true)
  })

  test('a closed Worker rejects serve() and connect() with EBADF; a closed Broker rejects run()', async () => {
    const worker = new Worker('w')
    worker.close()
    await rejectsCode(worker.serve(() => 'x'), 'EBADF', 500)
    throwsCode(() => worker.connect('tcp://127.0.0.1:1'), 'EBADF')
    const broker = new Broker()
    broker.close()
    await rejectsCode(broker.run(), 'EBADF', 500)
  })

  test('bad arguments and options are TypeErrors', () => {
    assert.throws(() => new Broker({ heartbeatInterval: 0 }), TypeError)
    assert.throws(() => new Broker({ nope: 1 } as never), TypeError)
    assert.throws(() => new Worker('', {}), TypeError)
    assert.throws(() => new Worker('s', { heartbeatLiveness: 1.5 }), TypeError)
    assert.throws(() => new Client({ recieveTimeout: 5 } as never), TypeError)
    assert.throws(() => new Client({ routingId: 'fixed' } as never), TypeError)
    assert.throws(() => new Worker('s', { routingId: 'fixed' } as never), TypeError)
    const client = new Client()
    assert.throws(() => client.connect(5 as never), TypeError)
    client.close()
  })

  test('bad call arguments reject with TypeError', async () => {
    const client = new Client()
    try {
      await assert.rejects(client.request('' as string, 'x'), TypeError)
      await assert.rejects(client.request('s', undefined as never), TypeError)
      await assert.rejects(client.request('s', 'x', { retries: -1 }), TypeError)
      await assert.rejects(client.request('s', 'x', { bogus: 1 } as never), TypeError)
    } finally {
      client.close()
    }
  })

  test('a handler that throws is reported; the worker registers again and keeps serving', async (t) => {
    const { endpoint, broker } = await startBroker(t)
    const failures: string[] = []
    startWorker(t, endpoint, 'fragile', (msg) => {
      if (msg[0].toString() === 'boom') throw new Error('boom')
      return `fine ${msg[0]}`
    }, { onError: (error) => failures.push((error as Error).message) })
    const client = connectedClient(t, endpoint)
    await rejectsCode(client.request('fragile', 'boom', { timeout: 200 }), 'EAGAIN', 2000)
    assert.deepEqual(failures, ['boom'])
    await until('registered again', () => workersOf(broker, 'fragile') === 1)
    assert.deepEqual(texts(await within(client.request('fragile', 'ok', { timeout: 2000 }), 3000, 'after the failure')), ['fine ok'])
  })
})

describe('wire', () => {
  test('an RFC 18 client without the delimiter frame gets RFC 18 replies (PARTIAL 0x02 / FINAL 0x03 with the service name)', async (t) => {
    const { endpoint } = await startBroker(t)
    startWorker(t, endpoint, 'echo', async function* (msg) { yield 'p'; return msg })
    const raw = use(t, new Dealer())
    raw.connect(endpoint)
    await raw.send(['MDPC02', Buffer.from([1]), 'echo', 'body'])
    const partial = await within(raw.receive(), 3000, 'partial')
    assert.deepEqual(partial.map((f) => f.toString('latin1')), ['MDPC02', '\x02', 'echo', 'p'])
    const final = await within(raw.receive(), 3000, 'final')
    assert.deepEqual(final.map((f) => f.toString('latin1')), ['MDPC02', '\x03', 'echo', 'body'])
  })
})
