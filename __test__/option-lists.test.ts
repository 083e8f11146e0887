// The option lists agree: every option the engine has (src/options.rs, read through lib/native.js)
// is a socket property with the engine's default, is typed in index.d.ts (constructor options and
// properties) and is in README's option table. Uses lib/ internals, so it is not one of the files
// scripts/test-runtimes.js runs under Bun and Deno.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe } from 'node:test'
import { Publisher, Pull, Reply, Request, Subscriber } from 'zeromq-napi'
import { ROOT, test, use } from './helpers'

type Bag = Record<string, unknown>
const bag = (sock: object): Bag => sock as unknown as Bag

describe('the option lists agree', () => {
  test("every engine option (src/options.rs) is a socket property, typed in index.d.ts and in README's table", (t) => {
    const { optionDefaults } = createRequire(path.join(ROOT, 'index.js'))('./lib/native.js') as { optionDefaults: Record<string, unknown> }
    const types = fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8')
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const rep = use(t, new Reply())
    const req = use(t, new Request())
    // The options of one socket type are read back on a socket of that type.
    const owners: Bag = { correlate: req, relaxed: req, conflate: use(t, new Pull()), invertMatching: use(t, new Subscriber()), noDrop: use(t, new Publisher()) }
    const names = Object.keys(optionDefaults).filter((n) => optionDefaults[n] !== undefined && optionDefaults[n] !== null)
    assert.ok(names.includes('maxCommandSize') && names.includes('maxMessageFrames'), names.join(', '))
    for (const name of names) {
      const sock = name === 'mandatory' ? undefined : ((owners[name] as object | undefined) ?? rep)
      if (sock !== undefined) assert.deepEqual(bag(sock)[name], optionDefaults[name], `${name} reads back the engine's default`)
      assert.match(types, new RegExp(`\\n\\s+${name}\\?: `), `${name}?: in the constructor options of index.d.ts`)
      assert.match(types, new RegExp(`\\n\\s+(${name}: |get ${name}\\(\\))`), `${name} as a property in index.d.ts`)
      assert.match(readme, new RegExp(`\\n\\| [^\\n]*\`${name}\``), `${name} in README's option table`)
    }
  })
})
