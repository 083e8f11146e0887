// CommonJS: `require('zeromq-napi')` works, the package entry points are the documented ones, and the types ship.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { Reply as ReplyType, Request as RequestType } from 'zeromq-napi'
import { ROOT, runNode, test } from './helpers'

const requireFromRoot = createRequire(path.join(ROOT, 'package.json'))

test('require() gives the Request and Reply classes', () => {
  const mod = requireFromRoot('zeromq-napi') as { Request: typeof RequestType; Reply: typeof ReplyType }
  assert.equal(typeof mod.Request, 'function')
  assert.equal(typeof mod.Reply, 'function')
  const req = new mod.Request()
  const rep = new mod.Reply()
  assert.ok(req instanceof mod.Request)
  assert.ok(rep instanceof mod.Reply)
  req.close()
  rep.close()
})

test('a round trip through the CommonJS entry point', async () => {
  const { Request, Reply } = requireFromRoot('zeromq-napi') as { Request: typeof RequestType; Reply: typeof ReplyType }
  const rep = new Reply()
  const req = new Request()
  try {
    await rep.bind('tcp://127.0.0.1:*')
    req.connect(String(rep.lastEndpoint))
    void rep.serve((msg) => `cjs:${msg[0]}`)
    const [reply] = await req.request('hi', { timeout: 3000 })
    assert.equal(reply.toString(), 'cjs:hi')
  } finally {
    req.close()
    rep.close()
  }
})

test('require.resolve finds the CommonJS entry, and the typings file ships', () => {
  const resolved = requireFromRoot.resolve('zeromq-napi')
  assert.equal(resolved, path.join(ROOT, 'index.js'))
  assert.ok(fs.existsSync(path.join(ROOT, 'index.d.ts')), 'index.d.ts exists')
  assert.ok(fs.existsSync(path.join(ROOT, 'index.mjs')), 'index.mjs exists')
})

test('a plain `node -e require(...)` works outside the test runner (no tsx involved)', async () => {
  const res = await runNode(`const m = require('zeromq-napi'); console.log(typeof m.Request, typeof m.Reply)`)
  assert.equal(res.code, 0, res.stderr)
  assert.equal(res.stdout.trim(), 'function function')
})
