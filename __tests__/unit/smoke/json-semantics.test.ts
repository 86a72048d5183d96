/**
 * JSON assertions agree with jq. Each expected verdict below was checked with jq 1.6
 * and jq 1.8 (`jq -c 'contains(...)'`, `jq length`, `jq type`).
 */
import { parseSmokeSpec } from '../../../src/smoke/spec.js'
import { checkJsonAssertion, checkResponse } from '../../../src/smoke/expect.js'
import {
  MAX_JSON_DEPTH,
  codePointLength,
  jsonContains,
  jsonEqual,
  nestedDeeperThan
} from '../../../src/smoke/jsonvalue.js'
import type { HttpCheck, JsonAssertion } from '../../../src/smoke/types.js'
import { StageError } from '../../../src/errors.js'

function assertionsOf(yaml: string): JsonAssertion[] {
  const check = parseSmokeSpec(yaml, 'smoke.yaml').checks[0] as HttpCheck
  return check.expect.json as JsonAssertion[]
}

const withAssertion = (lines: string) =>
  `checks:\n  - name: a\n    path: /x\n    expect:\n      json:\n        - path: .v\n${lines}`

describe('type: null', () => {
  it('reads YAML null as the type named "null"', () => {
    const [assertion] = assertionsOf(withAssertion('          type: null\n'))
    expect(checkJsonAssertion({ v: null }, assertion)).toBeUndefined()
    expect(checkJsonAssertion({ v: 0 }, assertion)).toBe('.v: expected type null, got number')
  })
  it('accepts the quoted name as before', () => {
    const [assertion] = assertionsOf(withAssertion('          type: "null"\n'))
    expect(checkJsonAssertion({ v: null }, assertion)).toBeUndefined()
  })
})

describe('contains, as jq', () => {
  it.each([
    [{ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } }, true],
    [{ a: 1, b: { c: 2, d: 3 } }, { b: { c: 3 } }, false],
    [{}, { x: null }, false],
    [{ a: 'xyz' }, { a: 'y' }, true],
    [{ a: [1, 2] }, { a: [2] }, true],
    [['foobar', 'baz'], ['bar'], true],
    [[1, 2, 3], [3, 1], true],
    [[1, 2], [], true],
    [[1, 2], [1, 1], true],
    [[[1, 2], [3]], [[1]], true],
    [[{ a: 1, b: 2 }], [{ a: 1 }], true],
    ['foobar', 'bar', true],
    ['a', '', true],
    ['abc', 'abcd', false],
    [1, 1.0, true],
    [null, null, true],
    // jq: "... cannot have their containment checked", an error: not contained.
    [[1, 2], 1, false],
    [true, false, false],
    [{}, [], false]
  ])('%j contains %j: %s', (actual, expected, verdict) => {
    expect(jsonContains(actual, expected)).toBe(verdict)
    expect(checkJsonAssertion({ v: actual }, { path: '.v', contains: expected }) === undefined).toBe(verdict)
  })
})

describe('equals and oneOf never go through JSON text', () => {
  it.each([Infinity, -Infinity, NaN])('%s is not null', bound => {
    expect(jsonEqual(null, bound)).toBe(false)
    expect(checkJsonAssertion({ v: null }, { path: '.v', equals: bound })).toBe(
      `.v: expected ${bound}, got null`
    )
    expect(checkJsonAssertion({ v: null }, { path: '.v', oneOf: [bound] })).toMatch(/expected one of/)
    expect(checkJsonAssertion({ v: [null] }, { path: '.v', equals: [bound] })).toMatch(/expected/)
  })
  it('NaN equals nothing, not even NaN (jq: nan == nan is false)', () => {
    expect(jsonEqual(NaN, NaN)).toBe(false)
  })
  it.each([
    ['equals: .inf', 'equals'],
    ['equals: [1, .nan]', 'equals'],
    ['oneOf: [1, -.inf]', 'oneOf'],
    ['contains: { a: .nan }', 'contains']
  ])('refuses %s when the file is read: it could never pass', (line, field) => {
    let error: StageError | undefined
    try {
      parseSmokeSpec(withAssertion(`          ${line}\n`), 'smoke.yaml')
    } catch (e) {
      error = e as StageError
    }
    expect(error?.code).toBe('InvalidSmokeSpec')
    expect(error?.message).toBe(
      `smoke.yaml:7: check "a" expect.json[0] ${field}: can never match: JSON has no Infinity or NaN (.inf, .nan in YAML)`
    )
  })
  it('still compares objects whatever the order of their keys, and numbers by value', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1.0, { c: 2 }], a: 1 })).toBe(true)
    expect(jsonEqual([1, 2], [2, 1])).toBe(false)
    expect(jsonEqual('1', 1)).toBe(false)
  })
})

describe('deeply nested bodies', () => {
  const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels)
  const expectation = { status: [], json: [{ path: '.', equals: [] }], headers: {} }
  const response = (body: string) => ({ status: 200, headers: {}, body, durationMs: 1 })

  it('fails a body nested 100,000 levels deep with a reason instead of overflowing the stack', async () => {
    expect(await checkResponse(expectation, response(deep(100_000)))).toEqual([
      `body: nested deeper than ${MAX_JSON_DEPTH} levels, the limit for JSON assertions`
    ])
  })
  it('checks a body right at the limit as usual', async () => {
    expect(await checkResponse(expectation, response(deep(MAX_JSON_DEPTH)))).toEqual([
      expect.stringMatching(/^\.: expected \[\], got \[\[/)
    ])
  })
  it('does not count brackets inside strings', async () => {
    const body = JSON.stringify({ s: '['.repeat(5000), t: '"\\{'.repeat(2000) })
    expect(nestedDeeperThan(body)).toBe(false)
    expect(
      await checkResponse(
        { status: [], json: [{ path: '.s', length: 5000 }], headers: {} },
        { status: 200, headers: {}, body, durationMs: 1 }
      )
    ).toEqual([])
  })
})

describe('length, as jq', () => {
  it.each([
    ['😀é', 2],
    ['e\u0301', 2],
    [[1, 2, 3], 3],
    [{ a: 1 }, 1],
    [-5, 5],
    [null, 0]
  ])('length of %j is %d', (value, length) => {
    expect(checkJsonAssertion({ v: value }, { path: '.v', length })).toBeUndefined()
  })
  it('counts code points, not UTF-16 units', () => {
    expect(checkJsonAssertion({ v: '😀😀' }, { path: '.v', length: 4 })).toBe('.v: expected length 4, got 2')
  })
  it('has no length for a boolean (an error in jq)', () => {
    expect(checkJsonAssertion({ v: true }, { path: '.v', length: 1 })).toBe('.v: expected length 1, got true')
  })
})

describe('matchers are spelt right', () => {
  it('refuses a misspelt matcher instead of reading it as "exists"', () => {
    expect(() => parseSmokeSpec(withAssertion('          equal: 1\n'), 'smoke.yaml')).toThrow(
      /^smoke\.yaml:7: check "a" expect\.json\[0\]: unknown field "equal"/
    )
  })
  it('refuses expect.json written as a mapping instead of a list', () => {
    expect(() =>
      parseSmokeSpec(
        'checks:\n  - name: a\n    path: /x\n    expect:\n      json:\n        path: .v\n        equals: 1\n',
        'smoke.yaml'
      )
    ).toThrow(/^smoke\.yaml:6: check "a" expect\.json: must be a list of assertions/)
  })
})

describe('nesting depth, counted as jq would parse it', () => {
  it.each([
    ['[[[', true],
    ['{{{', true],
    ['[{[', true],
    ['[1,[1,[1', true],
    ['[][][]', false],
    ['{}{}{}', false],
    ['[{}][]', false],
    ['"a"[[[', true],
    ['"[[["[]', false],
    // An escaped backslash, then the closing quote; an escaped quote, which does not close.
    ['"\\\\"[[[', true],
    ['"\\"[[["', false]
  ])('%s is deeper than 2 levels: %s', (text, verdict) => {
    expect(nestedDeeperThan(text, 2)).toBe(verdict)
  })
})

describe('equality, as jq', () => {
  it.each([
    [[1, 2], [1, 3], false],
    [['a'], 'a', false],
    [[], { length: 0 }, false],
    [{}, [], false],
    [{ a: 1 }, null, false],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [{ a: 1 }, { b: 1 }, false],
    [{ a: 1 }, { a: 2 }, false],
    [{ a: 1, b: 2 }, { a: 1, b: 3 }, false],
    [{ a: 1, b: [2] }, { b: [2], a: 1 }, true]
  ])('%j == %j: %s', (a, b, verdict) => {
    expect(jsonEqual(a, b)).toBe(verdict)
    expect(checkJsonAssertion({ v: b }, { path: '.v', equals: a }) === undefined).toBe(verdict)
  })
  it('does not take a missing key for an inherited one (a body with a "__proto__" key)', () => {
    const body = JSON.parse('{"__proto__": {}}') as unknown
    expect(jsonEqual(body, { x: 1 })).toBe(false)
  })
})

describe('contains, every key', () => {
  it('needs every key of the expected object, not just one', () => {
    expect(jsonContains({ a: 1, b: 2 }, { a: 1, b: 3 })).toBe(false)
    expect(checkJsonAssertion({ v: { a: 1, b: 2 } }, { path: '.v', contains: { a: 1, b: 3 } })).toBe(
      '.v: expected to contain {"a":1,"b":3}, got {"a":1,"b":2}'
    )
  })
})

describe('type names, as jq', () => {
  it.each([
    [[1], 'array'],
    [{}, 'object'],
    ['', 'string'],
    [0, 'number'],
    [false, 'boolean']
  ])('the type of %j is %s', (value, type) => {
    expect(checkJsonAssertion({ v: value }, { path: '.v', type } as JsonAssertion)).toBeUndefined()
  })
  it('names an array in a failure', () => {
    expect(checkJsonAssertion({ v: [1] }, { path: '.v', type: 'object' })).toBe(
      '.v: expected type object, got array'
    )
  })
})

describe('code points', () => {
  it.each([
    ['\ud800\udc00', 1],
    ['\udbff\udfff', 1],
    ['a\udc00', 2],
    ['\ue000\udc00', 2],
    ['\ud800a', 2],
    ['\ud800\ue000', 2],
    ['\ud7ff\udc00', 2],
    ['\udc00\udc00', 2],
    ['\ud800\udbff', 2],
    ['\ud800\ud800\udc00', 2]
  ])('%j has %d', (text, length) => {
    expect(codePointLength(text)).toBe(length)
  })
})

describe('numbers JSON cannot carry, anywhere in a value', () => {
  it('refuses an object with a NaN beside finite values', () => {
    expect(() =>
      parseSmokeSpec(withAssertion('          equals: { a: 1, b: .nan }\n'), 'smoke.yaml')
    ).toThrow('smoke.yaml:7: check "a" expect.json[0] equals: can never match')
  })
})
