// A proxy read on the JS thread forwards what one event-loop turn's reads brought in one burst, written
// with one vectored write per connection (src/loop_end.rs, engine/src/types/proxy.rs). What a user sees
// stays the same: per-peer order, round-robin to the workers, high-water marks that hold the burst back
// without dropping anything. And a REP worker answering several requests that came together (the later
// answers of its turn leave together) delivers every answer even when closed right after the last one.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Dealer, Proxy, Reply, Router } from 'zeromq-napi'
import { TCP_LOOPBACK, test, texts, use, within } from './helpers'

type TestContext = import('node:test').TestContext

/** A running Router | Proxy | Dealer broker on loopback; the Dealer's options as given. */
async function broker(t: TestContext, backendOptions: ConstructorParameters<typeof Dealer>[0] = {}) {
  const frontend = use(t, new Router())
  const backend = use(t, new Dealer(backendOptions))
  await frontend.bind(TCP_LOOPBACK)
  await backend.bind(TCP_LOOPBACK)
  const proxy = new Proxy(frontend, backend)
  const running = proxy.run()
  t.after(async () => {
    proxy.terminate()
    await running
  })
  return { fe: String(frontend.lastEndpoint), be: String(backend.lastEndpoint) }
}

/** A Dealer connected to `endpoint`. */
function dealer(t: TestContext, endpoint: string, options: ConstructorParameters<typeof Dealer>[0] = {}) {
  const d = use(t, new Dealer(options))
  d.connect(endpoint)
  return d
}

describe('proxy bursts', () => {
  test('bursts from several clients reach two workers round-robin, each client in order, and come back in order', async (t) => {
    const { fe, be } = await broker(t)
    const workers = [dealer(t, be), dealer(t, be)]
    const clients = [0, 1, 2].map((i) => dealer(t, fe, { routingId: `c${i}` }))
    // Each worker echoes whatever it gets for as long as it is open.
    const seen: string[][] = [[], []]
    for (const [i, w] of workers.entries()) {
      void (async () => {
        for (;;) {
          const msg = await w.receive()
          seen[i].push(msg.at(-1)?.toString() ?? '')
          await w.send(msg)
        }
      })().catch(() => undefined)
    }
    // Both workers connected and seen by the proxy's Dealer before the bursts.
    while (seen[0].length === 0 || seen[1].length === 0) {
      await clients[0].send('probe')
      await within(clients[0].receive(), 5000, 'probe answer')
    }
    const n = 300
    // One turn, nothing awaited: the clients' messages arrive as bursts.
    const sent = clients.flatMap((c, ci) => Array.from({ length: n }, (_, k) => c.send(`${ci}.${k}`)))
    await within(Promise.all(sent), 10000, 'sends')
    for (const [ci, c] of clients.entries()) {
      for (let k = 0; k < n; k++) {
        assert.deepEqual(texts(await within(c.receive(), 5000, `echo ${ci}.${k}`)), [`${ci}.${k}`])
      }
    }
    const bodies = seen.map((got) => got.filter((b) => b !== 'probe'))
    // Round-robin over two workers with room: every other message each.
    assert.deepEqual(
      bodies.map((b) => b.length),
      [(clients.length * n) / 2, (clients.length * n) / 2],
    )
    for (const [i, got] of bodies.entries()) {
      for (const ci of clients.keys()) {
        const mine = got.filter((b) => b.startsWith(`${ci}.`)).map((b) => Number(b.split('.')[1]))
        assert.deepEqual(mine, [...mine].sort((a, b) => a - b), `worker ${i}: client ${ci} in order`)
      }
    }
  })

  test('a worker that reads late gets the whole burst through high-water marks of 1, in order, nothing dropped', async (t) => {
    const { fe, be } = await broker(t, { sendHighWaterMark: 1, receiveHighWaterMark: 1 })
    const worker = dealer(t, be, { receiveHighWaterMark: 1 })
    const client = dealer(t, fe, { sendHighWaterMark: 0 })
    await client.send('probe')
    assert.equal(texts(await within(worker.receive(), 5000, 'probe'))[1], 'probe')
    // Far more than the OS buffers take while the worker does not read.
    const big = Buffer.alloc(256 * 1024, 7)
    const n = 64
    const sent = Array.from({ length: n }, (_, i) => client.send([String(i), big]))
    await within(Promise.all(sent), 10000, 'the client accepted every send')
    for (let i = 0; i < n; i++) {
      const msg = await within(worker.receive(), 10000, `message ${i}`)
      assert.equal(msg[1].toString(), String(i))
      assert.equal(msg[2].length, big.length)
    }
  })

  test('a REP answering a batch of requests, closed right after its last send, delivers every answer in order', async (t) => {
    const rep = use(t, new Reply())
    await rep.bind(TCP_LOOPBACK)
    const client = dealer(t, String(rep.lastEndpoint))
    await client.send(['', 'probe'])
    const [probe] = await within(rep.receive(), 5000, 'probe')
    await rep.send(probe)
    assert.deepEqual(texts(await within(client.receive(), 5000, 'probe answer')), ['', 'probe'])
    const n = 200
    await Promise.all(Array.from({ length: n }, (_, i) => client.send(['', String(i)])))
    for (let i = 0; i < n; i++) {
      const [body] = await within(rep.receive(), 5000, `request ${i}`)
      assert.equal(body.toString(), String(i))
      await rep.send(`answer ${i}`)
    }
    rep.close()
    for (let i = 0; i < n; i++) {
      assert.deepEqual(texts(await within(client.receive(), 5000, `answer ${i}`)), ['', `answer ${i}`])
    }
  })
})
