// sock.events: every event that can be provoked on loopback, with Request and Reply, on Node's
// main thread (connections read on its event loop), with the engine's reader threads
// (ZEROMQ_NAPI_READER=engine, what Bun and Deno use) and in a worker thread.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import net from 'node:net'
import { describe } from 'node:test'
import { Dealer, Reply, Request, Router, type EventMap, type EventName, type SocketEvents } from 'zeromq-napi'
import { freePort, runNode, test, TCP_LOOPBACK, use, within } from './helpers'
import { command, greeting } from './zmtp'

/** The next `name` event of `events`, within a bound (so a missing event fails instead of hanging). */
async function next<E extends EventName>(events: SocketEvents, name: E): Promise<EventMap[E]> {
  const [event] = (await within(once(events, name), 5000, `event ${name}`)) as [EventMap[E]]
  return event
}

/** Records every event of `events` in order, as `[name, address, error code?]`. */
function record(events: SocketEvents): Array<[EventName, string, string?]> {
  const seen: Array<[EventName, string, string?]> = []
  const names = [
    'bind', 'accept', 'connect', 'connect:retry', 'disconnect', 'handshake',
    'handshake:error:auth', 'handshake:error:protocol', 'handshake:error:other', 'close',
  ] as const
  for (const name of names) {
    events.on(name, (event: EventMap[typeof name]) => {
      const error = 'error' in event ? event.error : undefined
      seen.push(error === undefined ? [name, event.address] : [name, event.address, error.code])
    })
  }
  return seen
}

/** A raw TCP connection to a `tcp://` endpoint of ours. */
async function rawConnect(endpoint: string): Promise<net.Socket> {
  const url = new URL(endpoint)
  const socket = net.connect(Number(url.port), url.hostname)
  socket.on('error', () => { /* a reset by our side is what some tests provoke */ })
  await within(once(socket, 'connect'), 5000, 'raw connect')
  return socket
}

describe('events', () => {
  test('is one EventEmitter per socket, the same object on every read', (t) => {
    const rep = use(t, new Reply())
    assert.equal(rep.events, rep.events)
    assert.equal(typeof rep.events.on, 'function')
    assert.notEqual(use(t, new Request()).events, rep.events)
  })

  test('bind reports the resolved endpoint; unbind and close report close', async (t) => {
    const rep = use(t, new Reply())
    const seen = record(rep.events)
    await rep.bind(TCP_LOOPBACK)
    const first = rep.lastEndpoint
    assert.ok(first)
    assert.deepEqual(await next(rep.events, 'bind'), { type: 'bind', address: first })
    await rep.bind('tcp://127.0.0.1:0')
    const second = rep.lastEndpoint
    assert.ok(second && second !== first)
    await rep.unbind(second)
    assert.deepEqual(await next(rep.events, 'close'), { type: 'close', address: second })
    const lastClose = next(rep.events, 'close')
    rep.close()
    assert.deepEqual(await lastClose, { type: 'close', address: first })
    assert.deepEqual(seen, [['bind', first], ['bind', second], ['close', second], ['close', first]])
  })

  test('connect:retry until the server binds, then connect and handshake on both sides, disconnect when it goes', async (t) => {
    const address = `tcp://127.0.0.1:${await freePort()}`
    const req = use(t, new Request({ reconnectInterval: 20 }))
    const seen = record(req.events)
    const retried = next(req.events, 'connect:retry')
    req.connect(address)
    const retry = await retried
    assert.equal(retry.address, address)
    assert.equal(retry.interval, 20)
    assert.ok(retry.error instanceof Error)
    assert.equal(retry.error.code, 'ECONNREFUSED')

    const rep = use(t, new Reply())
    const repSeen = record(rep.events)
    const connected = next(req.events, 'connect')
    const shaken = next(req.events, 'handshake')
    const accepted = next(rep.events, 'accept')
    const repShaken = next(rep.events, 'handshake')
    await rep.bind(address)
    assert.deepEqual(await connected, { type: 'connect', address })
    assert.deepEqual(await shaken, { type: 'handshake', address })
    assert.deepEqual(await accepted, { type: 'accept', address })
    assert.deepEqual(await repShaken, { type: 'handshake', address })
    assert.deepEqual(repSeen, [['bind', address], ['accept', address], ['handshake', address]])

    const gone = next(req.events, 'disconnect')
    rep.close()
    assert.deepEqual(await gone, { type: 'disconnect', address })
    const afterConnect = seen.slice(seen.findIndex(([name]) => name === 'connect'))
    assert.deepEqual(afterConnect.slice(0, 3), [['connect', address], ['handshake', address], ['disconnect', address]])
  })

  test('a peer that is not ZMTP is handshake:error:protocol, then disconnect', async (t) => {
    const rep = use(t, new Reply())
    const seen = record(rep.events)
    await rep.bind(TCP_LOOPBACK)
    const endpoint = rep.lastEndpoint
    assert.ok(endpoint)
    const failed = next(rep.events, 'handshake:error:protocol')
    const gone = next(rep.events, 'disconnect')
    const raw = await rawConnect(endpoint)
    t.after(() => raw.destroy())
    raw.write('GET / HTTP/1.1\r\n\r\n')
    const event = await failed
    assert.equal(event.address, endpoint)
    assert.ok(event.error instanceof Error)
    assert.equal(event.error.code, 'EPROTO')
    assert.match(event.error.message, /ZMTP/)
    await gone
    assert.deepEqual(seen, [
      ['bind', endpoint],
      ['accept', endpoint],
      ['handshake:error:protocol', endpoint, 'EPROTO'],
      ['disconnect', endpoint],
    ])
  })

  test('a peer that refuses us with a ZAP status code is handshake:error:auth', async (t) => {
    const rep = use(t, new Reply())
    await rep.bind(TCP_LOOPBACK)
    const endpoint = rep.lastEndpoint
    assert.ok(endpoint)
    const failed = next(rep.events, 'handshake:error:auth')
    const raw = await rawConnect(endpoint)
    t.after(() => raw.destroy())
    // What libzmq sends when its ZAP handler denies a peer: ERROR with the status code as reason.
    raw.write(Buffer.concat([greeting(), command('ERROR', Buffer.concat([Buffer.from([3]), Buffer.from('400')]))]))
    const event = await failed
    assert.equal(event.address, endpoint)
    assert.equal(event.error.code, 'EACCES')
    assert.match(event.error.detail, /400/)
  })

  test('a peer that stays silent past handshakeInterval is handshake:error:other', async (t) => {
    const rep = use(t, new Reply({ handshakeInterval: 50 }))
    await rep.bind(TCP_LOOPBACK)
    const endpoint = rep.lastEndpoint
    assert.ok(endpoint)
    const failed = next(rep.events, 'handshake:error:other')
    const raw = await rawConnect(endpoint)
    t.after(() => raw.destroy())
    const event = await failed
    assert.equal(event.address, endpoint)
    assert.equal(event.error.code, 'ETIMEDOUT')
  })

  test('disconnect() reports close for that endpoint, and close() one per remaining endpoint', async (t) => {
    const req = use(t, new Request())
    const a = `tcp://127.0.0.1:${await freePort()}`
    const b = `tcp://127.0.0.1:${await freePort()}`
    req.connect(a)
    req.connect(b)
    const closes: string[] = []
    const both = new Promise<void>((resolve) => {
      req.events.on('close', ({ address }) => {
        if (closes.push(address) === 2) resolve()
      })
    })
    req.disconnect(a)
    req.close()
    await within(both, 5000, 'two close events')
    assert.deepEqual(closes, [a, b])
  })

  test('messages flow as before once events are watched', async (t) => {
    const rep = use(t, new Reply())
    const req = use(t, new Request())
    const shaken = next(rep.events, 'handshake')
    await rep.bind(TCP_LOOPBACK)
    const endpoint = rep.lastEndpoint
    assert.ok(endpoint)
    const served = rep.serve((msg) => msg)
    req.connect(endpoint)
    const [reply] = await within(req.request('hi'), 5000, 'request')
    assert.equal(reply.toString(), 'hi')
    await shaken
    rep.close()
    await served
  })
})

// The same life in a child process: on the main thread with each reader, and in a worker thread.
const SCRIPT = `
const assert = require('node:assert/strict');
const { once } = require('node:events');
const net = require('node:net');
const { Worker, isMainThread } = require('node:worker_threads');
const { Request, Reply } = require('zeromq-napi');
async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}
async function life() {
  const address = 'tcp://127.0.0.1:' + (await freePort());
  const req = new Request({ reconnectInterval: 20 });
  const seen = [];
  for (const name of ['connect', 'connect:retry', 'disconnect', 'handshake', 'close']) {
    req.events.on(name, (e) => seen.push(name + ' ' + e.address));
  }
  const retried = once(req.events, 'connect:retry');
  req.connect(address);
  const answered = req.request('ping');
  await retried;
  const rep = new Reply();
  const shaken = once(rep.events, 'handshake');
  await rep.bind(address);
  const [request] = await rep.receive();
  await rep.send(request);
  assert.equal((await answered)[0].toString(), 'ping');
  await shaken;
  const gone = once(req.events, 'disconnect');
  rep.close();
  await gone;
  const closed = once(req.events, 'close');
  req.close();
  await closed;
  const lifeOnly = seen.filter((s) => !s.startsWith('connect:retry'));
  assert.deepEqual(lifeOnly, ['connect ' + address, 'handshake ' + address, 'disconnect ' + address, 'close ' + address]);
  return require('./lib/native.js').paths().readsOnJsThread;
}
(async () => {
  if (process.env.IN_WORKER === '1') {
    const worker = new Worker(
      "const { parentPort } = require('node:worker_threads');" +
        'const life = ' + life.toString() + ';' +
        "const assert = require('node:assert/strict'); const { once } = require('node:events'); const net = require('node:net');" +
        "const { Request, Reply } = require('zeromq-napi');" +
        'const freePort = ' + freePort.toString() + ';' +
        "life().then((r) => parentPort.postMessage(r), (e) => parentPort.postMessage('error: ' + (e && e.stack)));",
      { eval: true },
    );
    const [result] = await once(worker, 'message');
    console.log('reads on js thread: ' + result);
  } else {
    console.log('reads on js thread: ' + (await life()));
  }
})().catch((err) => { console.error(err); process.exitCode = 1; });
`

// Under Deno and Bun (scripts/test-runtimes.js) the child is that runtime: it reads on engine threads,
// and so does Node on Windows (lib/native.js: the Windows build has no event-loop reader).
const nodeHost = !('Deno' in globalThis) && !('Bun' in globalThis) && process.platform !== 'win32'

describe('events on every reading path', () => {
  for (const [name, env, onJsThread] of [
    ["the main thread, reading on Node's event loop", { ZEROMQ_NAPI_READER: '' }, nodeHost],
    ["the main thread with the engine's readers (ZEROMQ_NAPI_READER=engine)", { ZEROMQ_NAPI_READER: 'engine' }, false],
    ['a worker thread (the engine\'s readers)', { IN_WORKER: '1' }, false],
  ] as const) {
    test(name, async () => {
      const result = await runNode(SCRIPT, { env, timeoutMs: 15000 })
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stdout.trim(), `reads on js thread: ${onJsThread}`)
    })
  }
})

describe('a listener that throws', () => {
  test('is an uncaught exception of plain JS, as with any emitter; the socket and the process go on', async () => {
    const result = await runNode(`
      const { Reply } = require('zeromq-napi');
      const rep = new Reply();
      let bound = 0;
      process.on('uncaughtException', (err) => {
        console.log('uncaught: ' + err.message);
        if (++bound === 2) { rep.close(); console.log('closed'); }
      });
      rep.events.on('bind', () => { throw new Error('listener bug'); });
      rep.bind('tcp://127.0.0.1:0').then(() => rep.bind('tcp://127.0.0.1:0'));
    `, { timeoutMs: 15000 })
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, 'uncaught: listener bug\nuncaught: listener bug\nclosed\n')
  })
})

describe("zeromq.js's Observer on sock.events", () => {
  test('events read right after connect() see every handshake (100 of 100)', async (t) => {
    const router = use(t, new Router())
    await router.bind(TCP_LOOPBACK)
    const endpoint = router.lastEndpoint ?? ''
    let seen = 0
    for (let i = 0; i < 100; i++) {
      const dealer = new Dealer()
      try {
        dealer.connect(endpoint)
        // The handshake on loopback can be done before this line; the engine holds the attempt
        // until this synchronous run ends.
        await next(dealer.events, 'handshake')
        seen++
      } finally {
        dealer.close()
      }
    }
    assert.equal(seen, 100)
  })

  test('receive() yields events in order, then end; after end it rejects EBADF', async (t) => {
    const router = use(t, new Router())
    await router.bind(TCP_LOOPBACK)
    const dealer = new Dealer()
    const events = dealer.events
    dealer.connect(router.lastEndpoint ?? '')
    assert.deepEqual(await events.receive(), { type: 'connect', address: router.lastEndpoint })
    assert.deepEqual(await events.receive(), { type: 'handshake', address: router.lastEndpoint })
    dealer.close()
    const rest = []
    for await (const event of events) rest.push(event.type)
    // The connection's own `disconnect` comes from its task on another thread while close() goes
    // on: before the endpoint's `close`, after it, or (after `end`) not at all. The iteration stops
    // at `end`, so `end` is last.
    assert.deepEqual(rest.filter((type) => type !== 'disconnect'), ['close', 'end'])
    assert.equal(events.closed, true)
    const err = await within(events.receive().then(() => undefined, (e: unknown) => e), 2000, 'receive after end')
    assert.ok(err instanceof Error)
    assert.equal((err as Error & { code: string }).code, 'EBADF')
    assert.equal(err.message, 'Socket is closed')
  })

  test('events first read after close() give end alone', async () => {
    const dealer = new Dealer()
    dealer.close()
    assert.deepEqual(await dealer.events.receive(), { type: 'end' })
  })

  test('a listener puts the observer in emitter mode: receive() throws, end is emitted', async () => {
    const dealer = new Dealer()
    const ended = once(dealer.events, 'end')
    assert.throws(() => dealer.events.receive(), /Observer is in event emitter mode/)
    await dealer.bind(TCP_LOOPBACK)
    dealer.close()
    assert.deepEqual(await within(ended, 2000, 'end'), [{ type: 'end' }])
  })

  test('a failed bind is bind:error with the EADDRINUSE error', async (t) => {
    const first = use(t, new Dealer())
    await first.bind(TCP_LOOPBACK)
    const second = use(t, new Dealer())
    const failed = next(second.events, 'bind:error')
    await assert.rejects(second.bind(first.lastEndpoint ?? ''), { code: 'EADDRINUSE' })
    const event = await failed
    // libzmq (and so zeromq.js) gives this one address without its transport.
    assert.equal(`tcp://${event.address}`, first.lastEndpoint)
    assert.equal(event.error.code, 'EADDRINUSE')
    assert.equal(event.error.message, 'Address already in use')
    assert.equal(typeof event.error.errno, 'number')
  })
})
