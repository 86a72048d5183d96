// YAML anchors and aliases in a smoke spec mean the anchored value, wherever they are used.
import { parseSmokeSpec } from '../../../src/smoke/spec.js'
import type { HttpCheck } from '../../../src/smoke/types.js'
import { specError } from '../../support/smoke-spec.js'

const SHARED = `checks:
  - name: create
    method: POST
    path: /orders
    headers: &auth { Authorization: Bearer t }
    json: &order { item: book, quantity: 2, tags: [gift] }
    expect: &created
      status: 201
      json:
        - { path: .id, exists: true }
  - name: create again
    method: POST
    path: /orders
    headers: *auth
    json: *order
    expect: *created
`

const refusal = (text: string) => specError(text).message

describe('anchors and aliases in a smoke spec', () => {
  it('an alias sends, sets and expects what its anchor holds', () => {
    const [first, second] = parseSmokeSpec(SHARED, 'smoke.yaml').checks as HttpCheck[]
    expect(second.json).toEqual({ item: 'book', quantity: 2, tags: ['gift'] })
    expect(second.headers).toEqual({ Authorization: 'Bearer t' })
    expect(second.expect.status).toEqual([201])
    expect(second.expect.json).toEqual(first.expect.json)
    expect(second.expect.json).toHaveLength(1)
    expect(second.line).toBe(11)
  })

  it('a whole check may be an alias of another one, and is then refused for its repeated name', () => {
    const text = `checks:\n  - &health { name: health, path: /healthz }\n  - *health\n`
    expect(refusal(text)).toBe('smoke.yaml:2: check "health": another check has the same name')
  })

  it('an alias without its anchor is refused at its line', () => {
    expect(refusal(`checks:\n  - name: a\n    path: /a\n    json: *nowhere\n`)).toBe(
      'smoke.yaml:4: the smoke checks: alias *nowhere has no anchor &nowhere'
    )
  })

  it('aliases are counted, so nested ones cannot blow a small file up', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (let i = 1; i < 6; i++) {
      const prev = String.fromCharCode(96 + i)
      const next = String.fromCharCode(97 + i)
      levels.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`)
    }
    const text = `checks:\n  - name: bomb\n    path: /\n    json:\n${levels.map(l => `      ${l}`).join('\n')}\n`
    expect(refusal(text)).toMatch(
      /^smoke\.yaml:\d+: the smoke checks: aliases \(\*name\) copy more than 1000 values; write the values out$/
    )
  })

  it('copies up to 1,000 values in all, and no more', () => {
    // The anchored list is 10 values (itself and its 9 items): n aliases copy 10 n.
    const spec = (n: number) =>
      `checks:\n  - name: many\n    path: /\n    json:\n      a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n      b: [${Array(n).fill('*a').join(', ')}]\n`
    const [check] = parseSmokeSpec(spec(100), 'smoke.yaml').checks as HttpCheck[]
    expect((check.json as { b: unknown[] }).b).toHaveLength(100)
    expect(refusal(spec(101))).toContain('aliases (*name) copy more than 1000 values')
  })
})
