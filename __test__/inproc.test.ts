// inproc://name: sockets of one process, on one thread or across worker threads, bind before or
// after connect, unbind and close ending connections, EADDRINUSE for a name bound twice.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import path from 'node:path'
import { describe } from 'node:test'
import { Worker } from 'node:worker_threads'
import { capability, Dealer, Router } from 'zeromq-napi'
import { rejectsCode, test, use, within } from './helpers'

let counter = 0
/** A name no other test of this process uses. */
function uniqueName(): string {
  return `inproc://test-${process.pid}-${++counter}`
}

/**
 * Resolves once `dealer` has no connection left (inproc reports no events, as in libzmq): a send
 * then finds no peer within its sendTimeout.
 */
async function disconnected(dealer: Dealer): Promise<void> {
  dealer.sendTimeout = 50
  for (;;) {
    try {
      await dealer.send('probe')
    } catch (err) {
      if ((err as { code?: unknown }).code === 'EAGAIN') return
      throw err
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
}

async function echoOnce(dealer: Dealer, router: Router, text: string): Promise<void> {
  await dealer.send(text)
  const [id, body] = await within(router.receive(), 5000, 'router.receive')
  assert.equal(body.toString(), text)
  await router.send([id, `re:${text}`])
  const [reply] = await within(dealer.receive(), 5000, 'dealer.receive')
  assert.equal(reply.toString(), `re:${text}`)
}

describe('inproc://', { skip: capability.inproc ? false : 'inproc needs Unix socket pairs (not on Windows)' }, () => {
  test('bind then connect on one thread: messages both ways; lastEndpoint is the name; no events', async (t) => {
    const address = uniqueName()
    const router = use(t, new Router())
    const seen: string[] = []
    router.events.on('bind', (e) => seen.push(e.type))
    router.events.on('accept', (e) => seen.push(e.type))
    router.events.on('handshake', (e) => seen.push(e.type))
    await router.bind(address)
    assert.equal(router.lastEndpoint, address)
    const dealer = use(t, new Dealer())
    dealer.connect(address)
    for (let i = 0; i < 10; i++) await echoOnce(dealer, router, `m${i}`)
    assert.deepEqual(seen, [], 'as in libzmq, inproc reports no events')
  })

  test('connect before bind: the connect waits for the name, then works', async (t) => {
    const address = uniqueName()
    const dealer = use(t, new Dealer())
    dealer.connect(address)
    const sent = dealer.send('early')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const router = use(t, new Router())
    await router.bind(address)
    await within(sent, 5000, 'send before bind')
    const [id, body] = await within(router.receive(), 5000, 'router.receive')
    assert.equal(body.toString(), 'early')
    await router.send([id, 'late'])
    const [reply] = await within(dealer.receive(), 5000, 'dealer.receive')
    assert.equal(reply.toString(), 'late')
  })

  test('a second bind of a bound name is EADDRINUSE; after unbind it can be bound again', async (t) => {
    const address = uniqueName()
    const first = use(t, new Router())
    await first.bind(address)
    const second = use(t, new Router())
    const err = await rejectsCode(second.bind(address), 'EADDRINUSE')
    assert.equal(err.address, address)
    assert.equal(err.message, 'Address already in use')
    await first.unbind(address)
    await within(second.bind(address), 2000, 'rebind')
  })

  test('unbind ends the connections; the client reaches the next socket bound to the name', async (t) => {
    const address = uniqueName()
    const first = use(t, new Router())
    await first.bind(address)
    const dealer = use(t, new Dealer())
    dealer.connect(address)
    await echoOnce(dealer, first, 'one')
    await first.unbind(address)
    await within(disconnected(dealer), 5000, 'disconnect after unbind')
    const second = use(t, new Router())
    await second.bind(address)
    dealer.sendTimeout = -1
    await echoOnce(dealer, second, 'two')
  })

  test('close of the bound socket ends the connections and frees the name', async (t) => {
    const address = uniqueName()
    const router = new Router()
    await router.bind(address)
    const dealer = use(t, new Dealer())
    dealer.connect(address)
    await echoOnce(dealer, router, 'x')
    router.close()
    await within(disconnected(dealer), 5000, 'disconnect after close')
    const again = use(t, new Router())
    await within(again.bind(address), 2000, 'bind after close')
  })

  for (const bindInWorker of [true, false]) {
    test(`across worker threads (${bindInWorker ? 'the worker binds' : 'the main thread binds'})`, async (t) => {
      const address = uniqueName()
      const dealer = use(t, new Dealer())
      if (!bindInWorker) await dealer.bind(address)
      const worker = new Worker(path.join(__dirname, 'fixtures', 'inproc', 'echo-worker.js'), {
        workerData: { address, bind: bindInWorker },
      })
      t.after(() => worker.terminate())
      const [ready] = await within(once(worker, 'message'), 10000, 'worker ready')
      assert.equal(ready, 'ready')
      if (bindInWorker) dealer.connect(address)
      for (let i = 0; i < 20; i++) {
        await dealer.send(`w${i}`)
        const [reply] = await within(dealer.receive(), 5000, 'echo from the worker')
        assert.equal(reply.toString(), `w${i}`)
      }
      const done = once(worker, 'message')
      worker.postMessage('stop')
      assert.deepEqual(await within(done, 10000, 'worker done'), ['done'])
    })
  }
})
