// The option table (scripts/option-table.js) is the one place options are written: the files
// generated from it are up to date (a hand edit of one is caught), and the addon, whose defaults are
// generated from it too, reports the table's defaults. Uses scripts/ and lib/ internals, so it is
// not one of the files scripts/test-runtimes.js runs under Bun and Deno.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { describe } from 'node:test'
import { ROOT, test } from './helpers'

const require = createRequire(path.join(ROOT, 'index.js'))
const generator = require('./scripts/generate-options.js') as {
  OUTPUTS: Array<[string, unknown]>
  staleFiles: (root: string, write: boolean) => string[]
}
const table = require('./scripts/option-table.js') as { OPTIONS: Array<{ name: string; default: unknown; binding?: unknown }> }

describe('the option table', () => {
  test('every file generated from it is up to date (`node scripts/generate-options.js` rewrites them)', () => {
    assert.deepEqual(generator.staleFiles(ROOT, false), [])
  })

  test('a hand edit of a generated file is reported as stale', (t) => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'zeromq-napi-options-'))
    t.after(() => fs.rmSync(copy, { recursive: true, force: true }))
    for (const [file] of generator.OUTPUTS) {
      fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true })
      fs.copyFileSync(path.join(ROOT, file), path.join(copy, file))
    }
    assert.deepEqual(generator.staleFiles(copy, false), [])
    const edited = path.join(copy, 'lib/option-table.js')
    fs.writeFileSync(edited, fs.readFileSync(edited, 'utf8').replace("linger: {\n    spec: { kind: 'int', min: -1", "linger: {\n    spec: { kind: 'int', min: 0"))
    const dts = path.join(copy, 'index.d.ts')
    fs.writeFileSync(dts, fs.readFileSync(dts, 'utf8').replace('  linger?: number;', '  lingerMs?: number;'))
    assert.deepEqual(generator.staleFiles(copy, false), ['lib/option-table.js', 'index.d.ts'])
  })

  test("the addon's defaults are the table's", () => {
    const { optionDefaults } = require('./lib/native.js') as { optionDefaults: Record<string, unknown> }
    const passed = table.OPTIONS.filter((o) => o.binding !== null)
    for (const { name, default: value } of passed) {
      // napi-rs leaves an Option that is None out of the object; the table's "none" is null.
      assert.deepEqual(optionDefaults[name] ?? null, value, name)
    }
    const names = passed.map((o) => o.name)
    for (const name of Object.keys(optionDefaults)) assert.ok(names.includes(name), `${name} is in the table`)
  })
})
