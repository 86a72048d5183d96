import { parseSmokeSpec } from '../../../src/smoke/spec.js'
import { parseJsonPath, resolveJsonPath } from '../../../src/smoke/jsonpath.js'
import { checkJsonAssertion, checkResponse } from '../../../src/smoke/expect.js'
import { interpolate } from '../../../src/smoke/interpolate.js'
import { redact, redactAndCut } from '../../../src/redact.js'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { specError } from '../../support/smoke-spec.js'

describe('smoke spec', () => {
  it('parses the example checks (the reference script, rewritten)', () => {
    const spec = parseSmokeSpec(
      readFileSync(path.resolve('examples/app/smoke-checks.yaml'), 'utf8'),
      'examples/app/smoke-checks.yaml'
    )
    expect(spec.checks.map(c => c.name)).toEqual([
      'health',
      'api version',
      'database connected',
      'critical action'
    ])
    const post = spec.checks[3]
    expect(post).toMatchObject({
      type: 'http',
      method: 'POST',
      retry: false,
      json: { test: true },
      timeoutMs: 30_000,
      intervalMs: 1_000
    })
  })

  it.each([
    ['checks: []', /smoke\.yaml:1: checks: must be a non-empty list/],
    [
      'checks:\n  - name: a\n    path: /x\n    colour: red\n',
      /smoke\.yaml:4: check "a": unknown field "colour"/
    ],
    ['checks:\n  - name: a\n    path: x\n', /smoke\.yaml:3: check "a" path: must start with "\/"/],
    ['checks:\n  - name: a\n', /check "a": needs exactly one of path, url or run/],
    [
      'checks:\n  - name: a\n    path: /x\n    timeout: soon\n',
      /smoke\.yaml:4: check "a" timeout: "soon" is not a duration/
    ],
    [
      'checks:\n  - name: a\n    path: /x\n    expect:\n      json:\n        - path: version\n          exists: true\n',
      /check "a" expect\.json\[0\] path: a path starts with "\."/
    ],
    [
      'checks:\n  - name: a\n    path: /x\n    expect:\n      json:\n        - path: .v\n          matches: "("\n',
      /smoke\.yaml:7: check "a" expect\.json\[0\] matches: invalid regular expression/
    ],
    [
      'checks:\n  - name: a\n    path: /x\n    expect:\n      status: ok\n',
      /check "a" expect\.status: must be an HTTP status/
    ],
    [
      'checks:\n  - name: a\n    run: ./x.sh\n    method: POST\n',
      /check "a" method: does not apply to a run: check/
    ],
    ['checks:\n  - path: /a\n  - path: /b\n    method: FETCH\n', /check "check 2" method: must be one of/],
    ['checks: [unclosed\n', /smoke\.yaml:\d+: /]
  ])('refuses %j, naming the file, line, check and field', (text, message) => {
    const error = specError(text)
    expect(error.code).toBe('InvalidSmokeSpec')
    expect(error.message).toMatch(message)
    expect(error.location?.file).toBe('smoke.yaml')
  })
})

describe('JSON paths', () => {
  const doc = { a: { b: [10, 20, { c: 'x' }] }, 'odd key': true, items: [1, 2, 3] }
  it('resolves jq-style paths', () => {
    expect(resolveJsonPath(doc, '.a.b[0]')).toEqual({ found: true, value: 10 })
    expect(resolveJsonPath(doc, '.a.b[2].c')).toEqual({ found: true, value: 'x' })
    expect(resolveJsonPath(doc, '.["odd key"]')).toEqual({ found: true, value: true })
    expect(resolveJsonPath(doc, '.items[-1]')).toEqual({ found: true, value: 3 })
    expect(resolveJsonPath(doc, '.')).toEqual({ found: true, value: doc })
    expect(resolveJsonPath(doc, '.a.missing')).toEqual({ found: false })
    expect(resolveJsonPath(doc, '.items[9]')).toEqual({ found: false })
  })
  it('refuses what it cannot read, without evaluating anything', () => {
    expect(() => parseJsonPath('a.b')).toThrow()
    expect(() => parseJsonPath('.a[process.exit()]')).toThrow(/must be an index or a "quoted key"/)
    expect(() => parseJsonPath('.a.')).toThrow(/cannot end with "."/)
  })
  it('reads quoted keys that contain brackets, and never inherited properties', () => {
    expect(resolveJsonPath({ 'a]b': 1 }, '.["a]b"]')).toEqual({ found: true, value: 1 })
    expect(resolveJsonPath({}, '.constructor')).toEqual({ found: false })
    expect(resolveJsonPath({ a: {} }, '.a.toString')).toEqual({ found: false })
  })
  it('reads brackets after brackets, spaces inside them, and indexes of more than one digit', () => {
    const items = Array.from({ length: 11 }, (_, i) => ({ 'a b': i, 'x]': -i }))
    expect(resolveJsonPath({ items }, '.items[0]["a b"]')).toEqual({ found: true, value: 0 })
    expect(resolveJsonPath({ items }, '.items[10]["a b"]')).toEqual({ found: true, value: 10 })
    expect(resolveJsonPath({ items }, '.items[ 1 ].["a b"]')).toEqual({ found: true, value: 1 })
    expect(resolveJsonPath({ items }, '.items[2][ "x]" ]')).toEqual({ found: true, value: -2 })
    expect(resolveJsonPath({ items }, '.items[3]["x]" ]')).toEqual({ found: true, value: -3 })
    expect(parseJsonPath('.a-b._c.$d')).toEqual(['a-b', '_c', '$d'])
  })
  it.each([
    ['.1a', 'unexpected "1a" in .1a'],
    ['.a b', 'unexpected " b" in .a b'],
    ['.a [0]', 'unexpected " [0]" in .a [0]'],
    ['.a[0', 'unclosed [ in .a[0'],
    ['.a[x1]', '[x1] must be an index or a "quoted key" in .a[x1]'],
    ['.a[1x]', '[1x] must be an index or a "quoted key" in .a[1x]'],
    ['.a[x"k"]', '[x"k"] must be an index or a "quoted key" in .a[x"k"]'],
    ['.a["k"x]', '["k"x] must be an index or a "quoted key" in .a["k"x]']
  ])('refuses %s: %s', (path, message) => {
    expect(() => parseJsonPath(path)).toThrow(message)
  })
})

describe('expectations', () => {
  const body = { version: '1.4.0', connected: true, count: 3, tags: ['a', 'b'], nothing: null }
  it.each([
    [{ path: '.version', exists: true }, undefined],
    [{ path: '.missing', exists: false }, undefined],
    [{ path: '.connected', equals: true }, undefined],
    [{ path: '.connected', equals: false }, '.connected: expected false, got true'],
    [{ path: '.version', matches: '^1\\.' }, undefined],
    [{ path: '.tags', contains: ['b'] }, undefined],
    [
      { path: '.tags', contains: 'b' },
      '.tags: expected to contain "b", got ["a","b"] (as in jq, write the element in a list: contains: ["b"])'
    ],
    [{ path: '.version', contains: 'x' }, '.version: expected to contain "x", got "1.4.0"'],
    [{ path: '.count', gt: 2, lte: 3 }, undefined],
    [{ path: '.count', lt: 3 }, '.count: expected lt 3, got 3'],
    [{ path: '.tags', length: 2 }, undefined],
    [{ path: '.nothing', type: 'null' as const }, undefined],
    [{ path: '.count', type: 'string' as const }, '.count: expected type string, got number'],
    [{ path: '.version', oneOf: ['1.3.0', '1.4.0'] }, undefined],
    [{ path: '.missing', equals: 1 }, '.missing: not found in the response'],
    [{ path: '.constructor', exists: false }, undefined]
  ])('%j', (assertion, problem) => {
    expect(checkJsonAssertion(body, assertion)).toBe(problem)
  })

  it('compares objects whatever the order of their keys', () => {
    const doc = { build: { sha: 'abc', ref: 'main' } }
    expect(checkJsonAssertion(doc, { path: '.build', equals: { ref: 'main', sha: 'abc' } })).toBeUndefined()
    expect(checkJsonAssertion(doc, { path: '.build', oneOf: [{ ref: 'main', sha: 'abc' }] })).toBeUndefined()
  })

  it('never shows the value of a credential header it did not expect', async () => {
    const problems = await checkResponse(
      { status: [], json: [], headers: { 'Set-Cookie': '^session=' } },
      { status: 200, headers: { 'set-cookie': 'sid=abc' }, body: '', durationMs: 1 }
    )
    expect(problems).toEqual(['header Set-Cookie: expected to match /^session=/, got ***'])
  })

  it('checks status, headers, body and duration, listing every problem', async () => {
    const problems = await checkResponse(
      {
        status: [200, 204],
        json: [{ path: '.ok', equals: true }],
        headers: { 'Content-Type': '^application/json' },
        body: { contains: 'ok' },
        maxDurationMs: 100
      },
      { status: 503, headers: { 'content-type': 'text/html' }, body: '<h1>down</h1>', durationMs: 250 }
    )
    expect(problems).toEqual([
      'status: expected 200 or 204, got 503',
      'header Content-Type: expected to match /^application/json/, got "text/html"',
      'body: expected to contain "ok"',
      expect.stringMatching(/^body: expected JSON, got something else/),
      'duration: expected at most 100ms, took 250ms'
    ])
  })
})

describe('interpolation and redaction', () => {
  it('substitutes ${NAME} and names a missing variable', () => {
    expect(interpolate('Bearer ${TOKEN}', { TOKEN: 't0k' }, 'h')).toBe('Bearer t0k')
    expect(() => interpolate('${NOPE}', {}, 'check "a" header x')).toThrow(
      'check "a" header x uses ${NOPE}, which is not set in the environment'
    )
  })
  it('redacts secret values everywhere, longest first, also as they appear inside JSON strings', () => {
    expect(redact('token=abc123 and abc123456', ['abc123', 'abc123456'])).toBe('token=*** and ***')
    expect(redact(JSON.stringify({ got: 'pa"ss\\word' }), ['pa"ss\\word'])).toBe('{"got":"***"}')
  })
  it('redacts before it cuts, so no half of a secret survives the cut', () => {
    const text = `${'x'.repeat(10)}s3cr3t-value${'y'.repeat(10)}`
    expect(redactAndCut(text, ['s3cr3t-value'], 15)).toBe('xxxxxxxxxx***yy…')
    expect(redactAndCut(text, ['s3cr3t-value'], 15, 'end')).toBe('…xx***yyyyyyyyyy')
    expect(redactAndCut('short', [], 15)).toBe('short')
  })
})
