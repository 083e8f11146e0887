// ESM: `import { Request, Reply } from 'zeromq-napi'` works and gives the same classes as `require`.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import * as ns from 'zeromq-napi'
import { Reply, Request } from 'zeromq-napi'

test('named ESM imports are the socket classes', () => {
  assert.equal(typeof Request, 'function')
  assert.equal(typeof Reply, 'function')
  assert.equal(ns.Request, Request)
  assert.equal(ns.Reply, Reply)
})

test('ESM and CommonJS give the very same classes (one addon instance)', () => {
  const cjs = createRequire(import.meta.url)('zeromq-napi')
  assert.equal(cjs.Request, Request)
  assert.equal(cjs.Reply, Reply)
})

test('a round trip through the ESM entry point', async () => {
  const rep = new Reply()
  const req = new Request()
  try {
    await rep.bind('tcp://127.0.0.1:*')
    req.connect(rep.lastEndpoint)
    const served = rep.serve((msg) => `esm:${msg[0]}`)
    const [reply] = await req.request('hi', { timeout: 3000 })
    assert.equal(reply.toString(), 'esm:hi')
    rep.close()
    await served
  } finally {
    req.close()
    rep.close()
  }
})

test('Dealer, Router and Proxy: named ESM imports, the same classes as require gives', async () => {
  const { Dealer, Router, Proxy } = await import('zeromq-napi')
  const cjs = createRequire(import.meta.url)('zeromq-napi')
  for (const [name, value] of Object.entries({ Dealer, Router, Proxy })) {
    assert.equal(typeof value, 'function', name)
    assert.equal(cjs[name], value, name)
    assert.equal(ns[name], value, name)
  }
})
