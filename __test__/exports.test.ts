// What the package exports, checked twice: at run time here, and by the type-checker
// (`npm run test:types` compiles this file; each @ts-expect-error must meet an error).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import * as zmq from 'zeromq-napi'
import { isZmqError, Reply, Request, type Socket, type ZmqError } from 'zeromq-napi'
import { ipcDir, rejectsCode, ROOT, test, use } from './helpers'

test('the runtime exports are the typed values, Socket and Context among them', () => {
  assert.deepEqual(Object.keys(zmq).filter((k) => k !== 'default').sort(), [
    'Context',
    'Dealer',
    'Observer',
    'Pair',
    'Proxy',
    'Publisher',
    'Pull',
    'Push',
    'Reply',
    'Request',
    'Router',
    'Socket',
    'Subscriber',
    'XPublisher',
    'XSubscriber',
    'capability',
    'context',
    'curveKeyPair',
    'isZmqError',
    'version',
  ])
  // zeromq.js's base class: every socket is one.
  const closeAll = (sockets: Socket[]): void => sockets.forEach((s) => s.close())
  const req = new Request()
  const rep = new Reply()
  assert.ok(req instanceof zmq.Socket && rep instanceof zmq.Socket)
  closeAll([req, rep])
  assert.equal(req.closed && rep.closed, true)
})

test('isZmqError recognises the errors the package rejects with, and nothing else', async (t) => {
  const req = use(t, new Request())
  const efsm = await rejectsCode(req.receive(), 'EFSM')
  req.close()
  const ebadf = await rejectsCode(req.send('x'), 'EBADF')
  let thrown: unknown
  try {
    req.connect('tcp://127.0.0.1:1')
  } catch (err) {
    thrown = err
  }
  for (const err of [efsm, ebadf, thrown]) {
    assert.equal(isZmqError(err), true, String(err))
    if (isZmqError(err)) {
      const code: ZmqError['code'] = err.code
      assert.equal(typeof code, 'string')
    }
  }
  const typeError = await req.send(undefined as unknown as string).catch((err: unknown) => err)
  for (const other of [typeError, new Error('plain'), { code: 'EFSM', message: 'not an Error' }, 'EFSM', null, undefined]) {
    assert.equal(isZmqError(other), false, String(other))
  }
})

test('send() takes one frame or a non-empty array of frames, for the types too', async (t) => {
  const req = use(t, new Request({ sendTimeout: 0 }))
  // @ts-expect-error an empty array is no message
  await assert.rejects(req.send([]), TypeError)
  const frames: [string, ...string[]] = ['a', 'b']
  await rejectsCode(req.send(frames), 'EAGAIN')
  const constant = ['a', 'b'] as const
  await rejectsCode(req.send(constant), 'EAGAIN')
})

test('version is this package\'s version; capability says what this build supports', async (t) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
  assert.equal(zmq.version, pkg.version)
  assert.equal(Object.isFrozen(zmq.capability), true)
  assert.deepEqual(
    { tcp: zmq.capability.tcp, curve: zmq.capability.curve, plain: zmq.capability.plain },
    { tcp: true, curve: true, plain: true },
  )
  // The ipc flag tells the truth about a real bind on this platform.
  const rep = use(t, new Reply())
  const bound = await rep.bind(ipcDir(t)('cap.sock')).then(() => true, (err: ZmqError) => {
    assert.equal(err.code, 'EPROTONOSUPPORT')
    return false
  })
  assert.equal(zmq.capability.ipc, bound)
})
