// Lifecycle: close() idempotent, Symbol.dispose / `using`, `closed`, async iteration ends on close; and process
// life in child processes: a pending receive keeps Node alive, closing every socket lets Node exit at once,
// worker_threads (a terminated worker frees its sockets), and 100k round trips leave memory flat.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { describe } from 'node:test'
import { Reply, Request } from 'zeromq-napi'
import {
  boundReply,
  connectedRequest,
  delay,
  runNode,
  test,
  texts,
  use,
  within,
} from './helpers'

describe('close()', () => {
  test('closed is false until close(); close() is idempotent on both socket types', () => {
    for (const sock of [new Request(), new Reply()]) {
      assert.equal(sock.closed, false)
      sock.close()
      assert.equal(sock.closed, true)
      assert.doesNotThrow(() => sock.close())
      assert.doesNotThrow(() => sock.close())
      assert.equal(sock.closed, true)
    }
  })

  test('close() on a bound and connected pair frees the port for a new bind', async (t) => {
    const rep = new Reply()
    await rep.bind('tcp://127.0.0.1:*')
    const endpoint = String(rep.lastEndpoint)
    const req = new Request()
    req.connect(endpoint)
    rep.close()
    req.close()
    const again = use(t, new Reply())
    await within(again.bind(endpoint), 2000, 'rebind after close')
  })

  test('Symbol.dispose closes the socket', () => {
    const req = new Request()
    req[Symbol.dispose]()
    assert.equal(req.closed, true)
    const rep = new Reply()
    rep[Symbol.dispose]()
    assert.equal(rep.closed, true)
  })

  test('`using` closes the socket at the end of the block', async () => {
    let outer: Request
    let outerRep: Reply
    {
      using rep = new Reply()
      await rep.bind('tcp://127.0.0.1:*')
      using req = new Request()
      req.connect(String(rep.lastEndpoint))
      outer = req
      outerRep = rep
      assert.equal(req.closed, false)
    }
    assert.equal(outer.closed, true)
    assert.equal(outerRep.closed, true)
  })
})

describe('linger', () => {
  test('close() right after a send still delivers the message (default linger), both directions', async (t) => {
    const big = Buffer.alloc(8 * 1024 * 1024, 0x61)
    big[big.length - 1] = 0x62
    // Request -> Reply: send, then close at once.
    const rep = use(t, new Reply())
    await rep.bind('tcp://127.0.0.1:*')
    const req = new Request()
    req.connect(String(rep.lastEndpoint))
    await req.send(big)
    req.close()
    const [got] = await within(rep.receive(), 5000, 'the server still gets the message')
    assert.equal(got.length, big.length)
    assert.equal(got[got.length - 1], 0x62)
    // Reply -> Request: answer, then close at once.
    const server = new Reply()
    await server.bind('tcp://127.0.0.1:*')
    const client = use(t, new Request())
    client.connect(String(server.lastEndpoint))
    await client.send('last request')
    await within(server.receive(), 2000, 'server.receive')
    await server.send(big)
    server.close()
    const [reply] = await within(client.receive(), 5000, 'the client still gets the reply')
    assert.equal(reply.length, big.length)
    assert.equal(reply[reply.length - 1], 0x62)
  })

  test('close() returns at once whatever linger is, and the socket reads as closed', async (t) => {
    const { endpoint } = await boundReply(t)
    for (const linger of [0, 1000, -1]) {
      const req = new Request({ linger })
      req.connect(endpoint)
      await req.send(Buffer.alloc(1024 * 1024))
      const started = Date.now()
      req.close()
      assert.ok(Date.now() - started < 250, `close() blocked for ${Date.now() - started} ms with linger ${linger}`)
      assert.equal(req.closed, true)
    }
  })
})

describe('async iteration', () => {
  test('an idle iterator ends (done) when the socket closes', async () => {
    const rep = new Reply()
    await rep.bind('tcp://127.0.0.1:*')
    const it = rep[Symbol.asyncIterator]()
    const next = it.next()
    await delay(20)
    rep.close()
    const r = await within(next, 1000, 'iterator next() after close')
    assert.equal(r.done, true)
  })

  test('breaking out of for-await does not close the socket or lose the next message', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    await req.send('first')
    for await (const msg of rep) {
      assert.deepEqual(texts(msg), ['first'])
      break
    }
    assert.equal(rep.closed, false, 'breaking out of the loop leaves the socket to its owner')
    await rep.send('re:first')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['re:first'])
    await req.send('second')
    assert.deepEqual(texts(await within(rep.receive(), 2000, 'receive')), ['second'])
  })

  test('iterating a closed socket ends at once', async () => {
    const rep = new Reply()
    rep.close()
    let n = 0
    for await (const _ of rep) n++
    assert.equal(n, 0)
  })
})

describe('resources', () => {
  test('closed sockets give back their file descriptors', async () => {
    const fds = () => fs.readdirSync('/proc/self/fd').length
    const before = fds()
    for (let i = 0; i < 20; i++) {
      const rep = new Reply()
      await rep.bind('tcp://127.0.0.1:*')
      const req = new Request()
      req.connect(String(rep.lastEndpoint))
      void rep.serve((m) => m)
      await within(req.request('x', { timeout: 2000 }), 3000, 'round trip')
      req.close()
      rep.close()
    }
    // Connections are torn down in the background: give them a bounded moment.
    let after = fds()
    for (let i = 0; i < 40 && after > before + 4; i++) {
      await delay(50)
      after = fds()
    }
    assert.ok(after <= before + 4, `file descriptors: ${before} before, ${after} after 20 closed pairs`)
  })
})

describe('process life (child processes)', () => {
  test('a pending receive keeps Node alive; answering and closing lets it exit by itself', async () => {
    let endpoint: (value: string) => void
    const ready = new Promise<string>((resolve) => { endpoint = resolve })
    let childRef: ChildProcess | undefined
    const child = runNode(
      `
      const { Reply } = require('zeromq-napi')
      ;(async () => {
        const rep = new Reply()
        await rep.bind('tcp://127.0.0.1:*')
        console.log('READY ' + rep.lastEndpoint)
        const [m] = await rep.receive()
        await rep.send('bye:' + m)
        rep.close()
        console.log('CLOSED ' + Date.now())
      })().catch((e) => { console.error(e); process.exit(3) })
      `,
      {
        onLine: (line, c) => {
          childRef = c
          if (line.startsWith('READY ')) endpoint(line.slice(6))
        },
      },
    )
    const address = await within(ready, 10000, 'child ready')
    await delay(300) // "nothing happens" window: with only a pending receive, the child must not exit
    assert.equal(childRef?.exitCode, null, 'the child stayed alive while its receive was pending')
    const req = new Request()
    try {
      req.connect(address)
      assert.deepEqual(texts(await within(req.request('x', { timeout: 3000 }), 4000, 'request to child')), ['bye:x'])
    } finally {
      req.close()
    }
    const res = await child
    assert.equal(res.code, 0, res.stderr)
    const closedAt = Number(/CLOSED (\d+)/.exec(res.stdout)?.[1])
    assert.ok(Date.now() - closedAt < 1500, `the child exited ${Date.now() - closedAt} ms after closing its socket`)
  })

  test('once every socket is closed Node exits at once, whatever state they were in', async () => {
    const res = await runNode(
      `
      const { Reply, Request } = require('zeromq-napi')
      const net = require('net')
      ;(async () => {
        const rep = new Reply({ heartbeatInterval: 50 })
        await rep.bind('tcp://127.0.0.1:*')
        const req = new Request({ heartbeatInterval: 50 })
        req.connect(rep.lastEndpoint)
        // a connection to nowhere keeps reconnect timers going
        const srv = net.createServer().listen(0, '127.0.0.1')
        await new Promise((r) => srv.once('listening', r))
        const port = srv.address().port
        srv.close()
        const lost = new Request({ reconnectInterval: 20 })
        lost.connect('tcp://127.0.0.1:' + port)
        const served = rep.serve((m) => m)
        const [r] = await req.request('ping', { timeout: 60000 }) // a long per-request timer must not hold the process
        if (r.toString() !== 'ping') throw new Error('bad reply')
        const slow = new Request({ receiveTimeout: 60000, sendTimeout: 60000 })
        slow.connect(rep.lastEndpoint)
        await slow.send('ping')
        await slow.receive()
        slow.close()
        const extra = new Reply()
        await extra.bind('tcp://127.0.0.1:*')
        extra.receive().catch(() => {}) // pending when closed
        lost.send('never').catch(() => {}) // waiting for a peer when closed
        const idle = new Request()
        rep.close(); req.close(); lost.close(); idle.close(); extra.close()
        await served
        console.log('CLOSED ' + Date.now())
      })().catch((e) => { console.error(e); process.exit(3) })
      `,
    )
    assert.equal(res.code, 0, res.stderr)
    const closedAt = Number(/CLOSED (\d+)/.exec(res.stdout)?.[1])
    assert.ok(closedAt > 0, res.stdout)
    const lag = Date.now() - closedAt
    assert.ok(lag < 1500, `the child took ${lag} ms to exit after closing every socket`)
  })

  test('sockets that were only created (never bound or connected) and closed do not hold Node', async () => {
    const res = await runNode(`
      const { Reply, Request } = require('zeromq-napi')
      for (let i = 0; i < 50; i++) { new Request().close(); new Reply().close() }
      console.log('CLOSED ' + Date.now())
    `)
    assert.equal(res.code, 0, res.stderr)
    assert.ok(Date.now() - Number(/CLOSED (\d+)/.exec(res.stdout)?.[1]) < 1500)
  })

  test('worker_threads: sockets work in a worker, and a terminated worker frees its sockets', async () => {
    const res = await runNode(
      `
      const { Worker } = require('worker_threads')
      const { Reply, Request } = require('zeromq-napi')
      const lib = require.resolve('zeromq-napi')
      const assert = require('assert')
      const once = (w, ev) => new Promise((r) => w.once(ev, r))
      ;(async () => {
        // 1. A worker acts as a client of a server in the main thread.
        const rep = new Reply()
        await rep.bind('tcp://127.0.0.1:*')
        rep.serve((m) => 'main-saw:' + m[0])
        const client = new Worker(\`
          const { workerData, parentPort } = require('worker_threads')
          const { Request } = require(workerData.lib)
          ;(async () => {
            const req = new Request()
            req.connect(workerData.endpoint)
            const [r] = await req.request('from-worker', { timeout: 3000 })
            req.close()
            parentPort.postMessage(r.toString())
          })()
        \`, { eval: true, workerData: { lib, endpoint: rep.lastEndpoint } })
        // Listened for from the start: a worker that exits right after posting has its last message
        // and then 'exit' emitted in one go (Node drains the port on exit), before the code after
        // the await below runs.
        const exited = once(client, 'exit')
        assert.equal(await once(client, 'message'), 'main-saw:from-worker')
        await exited

        // 2. A worker binds a server with a pending receive, answers one request, then is terminated.
        const server = new Worker(\`
          const { parentPort, workerData } = require('worker_threads')
          const { Reply } = require(workerData.lib)
          ;(async () => {
            const rep = new Reply()
            await rep.bind('tcp://127.0.0.1:*')
            parentPort.postMessage(rep.lastEndpoint)
            const [m] = await rep.receive()
            await rep.send('worker-saw:' + m)
            await rep.receive() // pending forever: the worker is terminated here
          })()
        \`, { eval: true, workerData: { lib } })
        const endpoint = await once(server, 'message')
        const req = new Request()
        req.connect(endpoint)
        const [r] = await req.request('hi', { timeout: 3000 })
        assert.equal(r.toString(), 'worker-saw:hi')
        req.close()
        await server.terminate()

        // The terminated worker's socket is gone: its port can be bound again.
        const again = new Reply()
        await again.bind(endpoint)
        again.close()
        rep.close()
        console.log('OK ' + Date.now())
      })().catch((e) => { console.error(e); process.exit(3) })
      `,
      { timeoutMs: 20000 },
    )
    assert.equal(res.code, 0, `exit ${res.code} ${res.signal ?? ''}\n${res.stderr}`)
    assert.match(res.stdout, /OK \d+/)
    assert.ok(Date.now() - Number(/OK (\d+)/.exec(res.stdout)?.[1]) < 1500, 'the process exited by itself at once')
  })

  test('a worker terminated in the middle of a request does not crash the process', async () => {
    const res = await runNode(
      `
      const { Worker } = require('worker_threads')
      const { Reply } = require('zeromq-napi')
      const lib = require.resolve('zeromq-napi')
      ;(async () => {
        const rep = new Reply()
        await rep.bind('tcp://127.0.0.1:*')
        const w = new Worker(\`
          const { workerData } = require('worker_threads')
          const { Request } = require(workerData.lib)
          const req = new Request()
          req.connect(workerData.endpoint)
          req.request('stuck').catch(() => {})
        \`, { eval: true, workerData: { lib, endpoint: rep.lastEndpoint } })
        await rep.receive() // the worker's request arrived
        await w.terminate()
        await rep.send('to a dead worker').catch(() => {})
        rep.close()
        console.log('OK')
      })().catch((e) => { console.error(e); process.exit(3) })
      `,
      { timeoutMs: 20000 },
    )
    assert.equal(res.code, 0, `exit ${res.code} ${res.signal ?? ''}\n${res.stderr}`)
    assert.match(res.stdout, /OK/)
  })

  test('100k round trips leave memory flat', async (t) => {
    // 1 KiB payloads, alternating send/receive and request() in blocks of 20k round trips: 20k warm-up, then 100k
    // measured with a snapshot after each block. No forced gc(): forcing full GCs makes V8 grow its young
    // generation (heapTotal 5 → 36 MB, RSS +45 MB, measured), which would hide or fake a trend; V8's own GC runs
    // many times over 100k round trips anyway. Measured without a leak: RSS flat within ~2 MB from 20k to 200k.
    // A leak of the payload (1 KiB) per round trip would add ~100 MB over the measured 100k, a leak of a small
    // native handle (~150 B) ~15 MB.
    const res = await runNode(
      `
      const { Reply, Request } = require('zeromq-napi')
      ;(async () => {
        const rep = new Reply()
        await rep.bind('tcp://127.0.0.1:*')
        const req = new Request()
        req.connect(rep.lastEndpoint)
        const payload = Buffer.alloc(1024, 7)
        ;(async () => {
          for (;;) {
            let m
            try { m = await rep.receive() } catch { return }
            await rep.send(m)
          }
        })()
        async function block() {
          for (let i = 0; i < 10000; i++) {
            await req.send(payload)
            const [r] = await req.receive()
            if (r.length !== 1024) throw new Error('bad reply')
          }
          for (let i = 0; i < 10000; i++) {
            const [r] = await req.request(payload, { timeout: 5000 })
            if (r.length !== 1024) throw new Error('bad reply')
          }
        }
        const snap = () => process.memoryUsage()
        await block()
        const snaps = [snap()]
        const t0 = Date.now()
        for (let i = 0; i < 5; i++) { await block(); snaps.push(snap()) }
        console.log(JSON.stringify({ snaps, ms: Date.now() - t0 }))
        req.close()
        rep.close()
      })().catch((e) => { console.error(e); process.exit(3) })
      `,
      { timeoutMs: 90000 },
    )
    assert.equal(res.code, 0, `exit ${res.code} ${res.signal ?? ''}\n${res.stderr}`)
    const { snaps, ms } = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as { snaps: NodeJS.MemoryUsage[]; ms: number }
    assert.equal(snaps.length, 6)
    const mb = (n: number) => (n / 1048576).toFixed(1)
    const first = snaps[0]
    const last = snaps[5]
    const report = `rss ${snaps.map((s) => mb(s.rss)).join('→')} MB, heap ${mb(first.heapUsed)}→${mb(last.heapUsed)} MB, external ${mb(first.external)}→${mb(last.external)} MB, 100k in ${ms} ms`
    t.diagnostic(report)
    assert.ok(last.rss - first.rss < 16 * 1048576, `RSS grew over 100k round trips: ${report}`)
    assert.ok(last.heapUsed - first.heapUsed < 8 * 1048576, `JS heap grew: ${report}`)
    assert.ok(last.external - first.external < 8 * 1048576, `external memory grew: ${report}`)
  }, { timeout: 90000 })
})
