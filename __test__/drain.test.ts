// Graceful servers (issue 19, API.md Reply `serve`): when serve()'s signal aborts, no new request
// is taken, the handlers in progress finish and their replies go out (within `drainTimeout`), and
// only then does serve() resolve; so `abort(); await served; close()` drops no accepted request.
// close() stays immediate. The same for a Majordomo Worker.serve().
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Reply, Request } from 'zeromq-napi'
import { Broker, Client, Worker } from 'zeromq-napi/majordomo'
import { boundReply, connectedRequest, delay, rejectsTypeError, test, texts, use, within } from './helpers'

/** A promise and its resolve (Node 20 has no Promise.withResolvers). */
function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => { resolve = r })
  return { promise, resolve }
}

/** A latch: `wait(n)` resolves once `hit()` has been called n times. */
function counter() {
  let count = 0
  const waiters: Array<{ n: number; resolve: () => void }> = []
  return {
    hit() {
      count++
      for (const w of waiters.filter((w) => count >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    },
    wait(n: number) {
      return count >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))
    },
    get count() { return count },
  }
}

describe('Reply.serve() drains on abort', () => {
  test('abort mid-flight with several handlers running: serve() waits for them; every accepted request gets its reply', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const started = counter()
    const release = deferred()
    const accepted: string[] = []
    const ac = new AbortController()
    const served = rep.serve(async (msg) => {
      accepted.push(msg[0].toString())
      started.hit()
      await release.promise
      await delay(50)
      return `done:${msg[0]}`
    }, { concurrency: 4, signal: ac.signal })
    const clients = Array.from({ length: 6 }, () => connectedRequest(t, endpoint))
    const calls = clients.map((c, i) => c.request(`r${i}`, { timeout: 1500 }).then(texts, (e: Error & { code?: string }) => e.code ?? 'error'))
    await within(started.wait(4), 3000, 'four handlers running')
    ac.abort()
    let resolved = false
    served.then(() => { resolved = true }, () => { resolved = true })
    await delay(30)
    assert.equal(resolved, false, 'serve() does not resolve while handlers run')
    release.resolve()
    await within(served, 3000, 'serve() resolves after the handlers')
    rep.close()
    const results = await within(Promise.all(calls), 5000, 'replies')
    assert.equal(accepted.length, 4, 'only the four requests taken before the abort were accepted')
    for (const id of accepted) assert.deepEqual(results[Number(id.slice(1))], [`done:${id}`], `accepted ${id} got its reply`)
    const unaccepted = results.filter((_, i) => !accepted.includes(`r${i}`))
    assert.deepEqual(unaccepted, ['EAGAIN', 'EAGAIN'], 'the others were never taken (their clients time out)')
  })

  test('drainTimeout bounds the wait; close() during the drain ends it at once', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const started = counter()
    const ac = new AbortController()
    const served = rep.serve(async () => {
      started.hit()
      await delay(5000)
      return 'late'
    }, { signal: ac.signal, drainTimeout: 100 })
    const req = connectedRequest(t, endpoint)
    req.request('x', { timeout: 3000 }).catch(() => {})
    await within(started.wait(1), 3000, 'handler running')
    const t0 = Date.now()
    ac.abort()
    await within(served, 2000, 'serve() after drainTimeout')
    assert.ok(Date.now() - t0 >= 90, 'it waited for drainTimeout')

    const rep2 = use(t, new Reply())
    await rep2.bind('tcp://127.0.0.1:*')
    const ac2 = new AbortController()
    const started2 = counter()
    const served2 = rep2.serve(async () => { started2.hit(); await delay(5000); return 'x' }, { signal: ac2.signal })
    const req2 = use(t, new Request())
    req2.connect(String(rep2.lastEndpoint))
    req2.request('y', { timeout: 3000 }).catch(() => {})
    await within(started2.wait(1), 3000, 'handler running')
    ac2.abort()
    rep2.close()
    await within(served2, 500, 'close() ends the drain at once')
  })

  test('drainTimeout must be a non-negative integer', async (t) => {
    const { rep } = await boundReply(t)
    await rejectsTypeError(() => rep.serve(() => 'x', { drainTimeout: -1 }), 'drainTimeout -1', 500)
    await rejectsTypeError(() => rep.serve(() => 'x', { drainTimeout: '5' as unknown as number }), 'drainTimeout string', 500)
  })
})

describe('Majordomo Worker.serve() drains on abort', () => {
  test('abort mid-flight: the requests in progress are answered, then serve() resolves and the broker forgets the worker', async (t) => {
    const broker = use(t, new Broker({ heartbeatInterval: 100 }))
    await broker.bind('tcp://127.0.0.1:*')
    const endpoint = String(broker.lastEndpoint)
    void broker.run()
    const worker = use(t, new Worker('slow', { heartbeatInterval: 100 }))
    worker.connect(endpoint)
    const started = counter()
    const release = deferred()
    const ac = new AbortController()
    const served = worker.serve(async (msg) => {
      started.hit()
      await release.promise
      return `done:${msg[0]}`
    }, { concurrency: 3, signal: ac.signal })
    const client = use(t, new Client())
    client.connect(endpoint)
    const calls = ['a', 'b', 'c'].map((id) => client.request('slow', id, { timeout: 5000 }))
    await within(started.wait(3), 3000, 'three handlers running')
    ac.abort()
    let resolved = false
    served.then(() => { resolved = true }, () => { resolved = true })
    await delay(30)
    assert.equal(resolved, false, 'Worker.serve() waits for its handlers')
    release.resolve()
    await within(served, 3000, 'Worker.serve() resolves after the handlers')
    worker.close()
    const replies = await within(Promise.all(calls), 3000, 'replies')
    assert.deepEqual(replies.map(texts), [['done:a'], ['done:b'], ['done:c']])
    // The drained worker said DISCONNECT: the broker has no worker left for the service.
    for (let i = 0; i < 100 && (broker.services.get('slow')?.workers ?? 0) > 0; i++) await delay(10)
    assert.equal(broker.services.get('slow')?.workers ?? 0, 0)
  })
})
