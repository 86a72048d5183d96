// Each matcher both ways: a rule that passes everything, or fails everything, is caught here.
import { checkJsonAssertion, checkResponse, type ObservedResponse } from '../../../src/smoke/expect.js'
import { resolveJsonPath } from '../../../src/smoke/jsonpath.js'
import type { HttpExpectation, JsonAssertion } from '../../../src/smoke/types.js'

const document = { version: '1.4.0', count: 0, total: 100, items: ['a', 'b'], ok: true, none: null }
const check = (assertion: Omit<JsonAssertion, 'path'> & { path?: string }) =>
  checkJsonAssertion(document, { path: '.version', ...assertion })

describe('JSON matchers', () => {
  it('exists: true fails on a missing field, exists: false on a present one', () => {
    expect(check({ path: '.missing', exists: true })).toBe('.missing: expected to exist')
    expect(check({ exists: true })).toBeUndefined()
    expect(check({ exists: false })).toBe('.version: expected to be absent')
    expect(check({ path: '.missing', exists: false })).toBeUndefined()
    // A field that is present with the value null exists.
    expect(check({ path: '.none', exists: true })).toBeUndefined()
  })

  it('any other matcher on a missing field says it was not found', () => {
    expect(check({ path: '.missing', equals: 1 })).toBe('.missing: not found in the response')
  })

  it('equals', () => {
    expect(check({ equals: '1.4.0' })).toBeUndefined()
    expect(check({ equals: '1.4.1' })).toBe('.version: expected "1.4.1", got "1.4.0"')
  })

  it('type', () => {
    expect(check({ type: 'string' })).toBeUndefined()
    expect(check({ type: 'number' })).toBe('.version: expected type number, got string')
    expect(check({ path: '.none', type: 'null' })).toBeUndefined()
  })

  it('matches: only strings, by RE2', () => {
    expect(check({ matches: '^1\\.4\\.' })).toBeUndefined()
    expect(check({ matches: '^2\\.' })).toBe('.version: expected to match /^2\\./, got "1.4.0"')
    expect(check({ path: '.total', matches: '100' })).toBe('.total: expected to match /100/, got 100')
  })

  it('contains', () => {
    expect(check({ path: '.items', contains: ['b'] })).toBeUndefined()
    expect(check({ path: '.items', contains: ['c'] })).toBe(
      '.items: expected to contain ["c"], got ["a","b"]'
    )
    expect(check({ path: '.items', contains: 'a' })).toMatch(/write the element in a list: contains: \["a"\]/)
    expect(check({ contains: '4.0' })).toBeUndefined()
  })

  it.each([
    ['gt', 0, 0, false],
    ['gt', 0, 1, true],
    ['gte', 100, 100, true],
    ['gte', 101, 100, false],
    ['lt', 100, 100, false],
    ['lt', 101, 100, true],
    ['lte', 100, 100, true],
    ['lte', 100, 1000, false],
    ['lte', 99, 100, false]
  ] as const)('%s %d against %d: passes = %s', (op, bound, value, passes) => {
    const problem = checkJsonAssertion({ n: value }, { path: '.n', [op]: bound })
    expect(problem).toBe(passes ? undefined : `.n: expected ${op} ${bound}, got ${value}`)
  })

  it('a bound never passes on a value that is not a number', () => {
    expect(check({ gte: 0 })).toBe('.version: expected gte 0, got "1.4.0"')
  })

  it('length of strings, arrays and objects', () => {
    expect(check({ path: '.items', length: 2 })).toBeUndefined()
    expect(check({ path: '.items', length: 3 })).toBe('.items: expected length 3, got 2')
    expect(check({ length: 5 })).toBeUndefined()
    expect(check({ path: '.ok', length: 1 })).toBe('.ok: expected length 1, got true')
  })

  it('oneOf', () => {
    expect(check({ oneOf: ['1.3.0', '1.4.0'] })).toBeUndefined()
    expect(check({ oneOf: ['1.3.0', '2.0.0'] })).toBe(
      '.version: expected one of ["1.3.0","2.0.0"], got "1.4.0"'
    )
  })

  it('reports the first unmet matcher of several', () => {
    expect(check({ type: 'string', equals: 'x' })).toBe('.version: expected "x", got "1.4.0"')
  })
})

describe('JSON paths', () => {
  it('an index one past the end is not found; the last one is', () => {
    expect(resolveJsonPath({ items: [1, 2] }, '.items[2]')).toEqual({ found: false })
    expect(resolveJsonPath({ items: [1, 2] }, '.items[1]')).toEqual({ found: true, value: 2 })
    expect(resolveJsonPath({ items: [1, 2] }, '.items[-2]')).toEqual({ found: true, value: 1 })
    expect(resolveJsonPath({ items: [1, 2] }, '.items[-3]')).toEqual({ found: false })
  })

  it('an index into an object, or a key into an array or null, is not found', () => {
    expect(resolveJsonPath({ items: { 0: 'a' } }, '.items[0]')).toEqual({ found: false })
    expect(resolveJsonPath({ items: ['a'] }, '.items.length')).toEqual({ found: false })
    expect(resolveJsonPath({ items: null }, '.items.a')).toEqual({ found: false })
    expect(resolveJsonPath('text', '.a')).toEqual({ found: false })
  })
})

describe('responses', () => {
  const response = (changes: Partial<ObservedResponse> = {}): ObservedResponse => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"version":"1.4.0"}',
    durationMs: 50,
    ...changes
  })
  const expectation = (changes: Partial<HttpExpectation> = {}): HttpExpectation => ({
    status: [],
    json: [],
    headers: {},
    ...changes
  })

  it('with no expected status, any 2xx passes and nothing else does', async () => {
    expect(await checkResponse(expectation(), response())).toEqual([])
    expect(await checkResponse(expectation(), response({ status: 299 }))).toEqual([])
    expect(await checkResponse(expectation(), response({ status: 503 }))).toEqual([
      'status: expected 2xx, got 503'
    ])
    expect(await checkResponse(expectation(), response({ status: 300 }))).toEqual([
      'status: expected 2xx, got 300'
    ])
    expect(await checkResponse(expectation(), response({ status: 199 }))).toEqual([
      'status: expected 2xx, got 199'
    ])
  })

  it('with expected statuses, exactly those pass', async () => {
    expect(await checkResponse(expectation({ status: [404, 410] }), response({ status: 410 }))).toEqual([])
    expect(await checkResponse(expectation({ status: [404, 410] }), response())).toEqual([
      'status: expected 404 or 410, got 200'
    ])
  })

  it('headers: matched case-insensitively by name, missing ones named', async () => {
    expect(
      await checkResponse(expectation({ headers: { 'Content-Type': '^application/json' } }), response())
    ).toEqual([])
    expect(await checkResponse(expectation({ headers: { 'Content-Type': '^text/' } }), response())).toEqual([
      'header Content-Type: expected to match /^text//, got "application/json"'
    ])
    expect(await checkResponse(expectation({ headers: { 'X-Version': '.' } }), response())).toEqual([
      'header X-Version: expected to match /./, got none'
    ])
  })

  it('body contains and matches', async () => {
    expect(
      await checkResponse(expectation({ body: { contains: '1.4.0', matches: 'version' } }), response())
    ).toEqual([])
    expect(await checkResponse(expectation({ body: { contains: '2.0.0' } }), response())).toEqual([
      'body: expected to contain "2.0.0"'
    ])
    expect(await checkResponse(expectation({ body: { matches: '^\\[' } }), response())).toEqual([
      'body: expected to match /^\\[/'
    ])
  })

  it('a body that is not JSON fails JSON assertions with the parser message', async () => {
    const problems = await checkResponse(
      expectation({ json: [{ path: '.version', exists: true }] }),
      response({ body: 'not json' })
    )
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^body: expected JSON, got something else \(.+\)$/)
  })

  it('JSON assertions run against the body, each unmet one listed', async () => {
    expect(
      await checkResponse(
        expectation({
          json: [
            { path: '.version', equals: '1.4.0' },
            { path: '.a', exists: true },
            { path: '.b', exists: true }
          ]
        }),
        response()
      )
    ).toEqual(['.a: expected to exist', '.b: expected to exist'])
  })

  it('an assertion that throws fails that assertion, naming it', async () => {
    expect(
      (await checkResponse(expectation({ json: [{ path: 'version', exists: true }] }), response()))[0]
    ).toMatch(/^version: could not be checked \(a path starts with "\."/)
  })

  it('maxDuration: at the bound passes, above it fails', async () => {
    expect(await checkResponse(expectation({ maxDurationMs: 50 }), response())).toEqual([])
    expect(await checkResponse(expectation({ maxDurationMs: 49 }), response({ durationMs: 49.6 }))).toEqual([
      'duration: expected at most 49ms, took 50ms'
    ])
  })
})
