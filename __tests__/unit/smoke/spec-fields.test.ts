// Every field of a check reaches the parsed spec, and every wrong one is refused at its line.
import {
  DEFAULT_INTERVAL_MS,
  DEFAULT_TIMEOUT_MS,
  defaultSmokeSpec,
  parseSmokeSpec
} from '../../../src/smoke/spec.js'
import type { HttpCheck } from '../../../src/smoke/types.js'
import { specError } from '../../support/smoke-spec.js'

const FULL = `defaults:
  timeout: 90s
  interval: 3s
checks:
  - name: full
    method: put
    path: /items/1
    headers:
      Authorization: Bearer x
    query:
      dry: "true"
    body: '{"a":1}'
    retry: false
    timeout: 10s
    interval: 500ms
    expect:
      status: [200, 204]
      headers:
        Content-Type: ^application/json
      body:
        contains: ok
        matches: "o+k"
      maxDuration: 250ms
      json:
        - path: .a
          equals: 1
        - jq: .a == 1
  - url: http://example.test/health
  - name: posted
    path: /orders
    method: POST
    json: { item: 1 }
  - name: script
    run: ./check.sh
`

describe('a parsed smoke check', () => {
  const spec = parseSmokeSpec(FULL, 'smoke.yaml')

  it('keeps every field of an HTTP check', () => {
    expect(spec.checks[0]).toEqual({
      type: 'http',
      name: 'full',
      line: 5,
      method: 'PUT',
      target: '/items/1',
      headers: { Authorization: 'Bearer x' },
      query: { dry: 'true' },
      body: '{"a":1}',
      json: undefined,
      retry: false,
      timeoutMs: 10_000,
      intervalMs: 500,
      expect: {
        status: [200, 204],
        headers: { 'Content-Type': '^application/json' },
        body: { contains: 'ok', matches: 'o+k' },
        maxDurationMs: 250,
        json: [
          { path: '.a', equals: 1 },
          { jq: '.a == 1', line: 27 }
        ]
      }
    } satisfies HttpCheck)
  })

  it('fills in defaults: name, GET, retry for idempotent methods, the file-wide timeout and interval', () => {
    expect(spec.checks[1]).toMatchObject({
      name: 'check 2',
      method: 'GET',
      target: 'http://example.test/health',
      headers: {},
      query: {},
      retry: true,
      timeoutMs: 90_000,
      intervalMs: 3_000,
      expect: { status: [], json: [], headers: {}, body: undefined, maxDurationMs: undefined }
    })
  })

  it('does not retry a POST unless told to, and keeps a JSON body as data', () => {
    expect(spec.checks[2]).toMatchObject({ method: 'POST', retry: false, json: { item: 1 } })
  })

  it('runs a script once unless told to retry', () => {
    expect(spec.checks[3]).toEqual({
      type: 'script',
      name: 'script',
      run: './check.sh',
      retry: false,
      timeoutMs: 90_000,
      intervalMs: 3_000,
      line: 33
    })
  })
})

const refusal = (text: string) => specError(text).message

const checkWith = (lines: string) => `checks:\n  - name: a\n    path: /x\n    ${lines}`

describe('a smoke check refused', () => {
  it.each([
    ['headers: [a]\n', 'smoke.yaml:4: check "a" headers: must be a mapping'],
    ['query:\n      q: { a: 1 }\n', 'smoke.yaml:5: check "a" query.q: must be a string'],
    ['body: { a: 1 }\n', 'smoke.yaml:4: check "a" body: must be a string (use json: for structured bodies)'],
    ['body: x\n    json: {}\n', 'smoke.yaml:2: check "a": has both body and json; use one'],
    ['retry: sometimes\n', 'smoke.yaml:4: check "a" retry: must be true or false'],
    ['expect: []\n', 'smoke.yaml:4: check "a" expect: must be a mapping'],
    ['expect:\n      code: 200\n', 'smoke.yaml:5: check "a" expect: unknown field "code"'],
    ['expect:\n      status: 600\n', 'smoke.yaml:5: check "a" expect.status: must be an HTTP status'],
    ['expect:\n      status: [99]\n', 'smoke.yaml:5: check "a" expect.status: must be an HTTP status'],
    [
      'expect:\n      headers:\n        X: "("\n',
      'smoke.yaml:6: check "a" expect.headers.X: invalid regular'
    ],
    [
      'expect:\n      body:\n        equals: x\n',
      'smoke.yaml:6: check "a" expect.body: unknown field "equals"'
    ],
    ['expect:\n      body:\n        matches: "("\n', 'smoke.yaml:6: check "a" expect.body.matches: invalid'],
    [
      'expect:\n      maxDuration: fast\n',
      'smoke.yaml:5: check "a" expect maxDuration: "fast" is not a duration'
    ],
    [
      'expect:\n      maxDuration: 0s\n',
      'smoke.yaml:5: check "a" expect maxDuration: "0s" is not a duration'
    ],
    ['expect:\n      json:\n        - path: .a\n', 'smoke.yaml:6: check "a" expect.json[0]: needs a matcher'],
    [
      'expect:\n      json:\n        - equals: 1\n',
      'smoke.yaml:6: check "a" expect.json[0] path: is required'
    ],
    [
      'expect:\n      json:\n        - path: .a\n          gt: "1"\n',
      'smoke.yaml:7: check "a" expect.json[0] gt: must be a number'
    ],
    [
      'expect:\n      json:\n        - path: .a\n          length: x\n',
      'expect.json[0] length: must be a number'
    ],
    [
      'expect:\n      json:\n        - path: .a\n          exists: yes\n',
      'expect.json[0] exists: must be true or false'
    ],
    [
      'expect:\n      json:\n        - path: .a\n          type: text\n',
      'expect.json[0] type: must be one of string'
    ],
    [
      'expect:\n      json:\n        - path: .a\n          oneOf: 1\n',
      'expect.json[0] oneOf: must be a list'
    ],
    [
      'expect:\n      json:\n        - path: .a\n          equals: .nan\n',
      'expect.json[0] equals: can never match'
    ],
    [
      'expect:\n      json:\n        - path: .a\n          contains: [.inf]\n',
      'expect.json[0] contains: can never match'
    ],
    [
      'expect:\n      json:\n        - path: .a\n          oneOf: [-.inf]\n',
      'expect.json[0] oneOf: can never match'
    ],
    [
      'expect:\n      json:\n        - jq: ""\n',
      'smoke.yaml:6: check "a" expect.json[0] jq: must be a jq expression'
    ],
    [
      'expect:\n      json:\n        - jq: .a\n          path: .a\n',
      'expect.json[0]: jq cannot be combined with path'
    ],
    ['url: http://x\n', 'smoke.yaml:2: check "a": needs exactly one of path, url or run'],
    ['interval: -1s\n', 'smoke.yaml:4: check "a" interval: "-1s" is not a duration']
  ])('%j: %s', (lines, message) => {
    expect(refusal(checkWith(lines))).toContain(message)
  })

  it.each([
    ['checks:\n  - url: ftp://x\n', 'smoke.yaml:2: check "check 1" url: must be an absolute http(s) URL'],
    ['checks:\n  - name: s\n    run: ""\n', 'smoke.yaml:3: check "s" run: must be a shell command'],
    [
      'checks:\n  - name: s\n    run: ./x\n    expect: {}\n',
      'smoke.yaml:4: check "s" expect: does not apply'
    ],
    [
      'checks:\n  - path: /a\n    name: x\n  - path: /b\n    name: x\n',
      'smoke.yaml:4: check "x": another check has the same name'
    ],
    ['defaults:\n  retries: 3\nchecks:\n  - path: /a\n', 'smoke.yaml:2: defaults: unknown field "retries"'],
    ['defaults:\n  timeout: never\nchecks:\n  - path: /a\n', 'smoke.yaml:2: defaults timeout: "never"'],
    ['defaults:\n  interval: x\nchecks:\n  - path: /a\n', 'smoke.yaml:2: defaults interval: "x"'],
    ['tests:\n  - path: /a\n', 'smoke.yaml:1: the smoke checks: unknown field "tests"'],
    ['- path: /a\n', 'smoke.yaml:1: the smoke checks: must be a mapping'],
    ['checks: {}\n', 'smoke.yaml:1: checks: must be a non-empty list'],
    ['checks:\n  - x\n', 'smoke.yaml:2: check 1: must be a mapping']
  ])('%j: %s', (text, message) => {
    expect(refusal(text)).toContain(message)
  })
})

const assertionWith = (lines: string) => checkWith(`expect:\n      json:\n        - ${lines}\n`)

describe('a smoke check refused, the whole message', () => {
  it.each([
    ['', 'smoke.yaml: the smoke checks: must be a mapping'],
    [
      'checks: [\n',
      'smoke.yaml:2: Flow sequence in block collection must be sufficiently indented and end with a ]'
    ],
    ['# smoke\ndefaults: 1m\nchecks:\n  - path: /a\n', 'smoke.yaml:2: defaults: must be a mapping'],
    ['# smoke\nchecks: /a\n', 'smoke.yaml:2: checks: must be a non-empty list'],
    [
      'checks:\n  - url: see http://x\n',
      'smoke.yaml:2: check "check 1" url: must be an absolute http(s) URL (got "see http://x")'
    ],
    [checkWith('headers: x\n'), 'smoke.yaml:4: check "a" headers: must be a mapping'],
    [
      checkWith('method: FETCH\n'),
      'smoke.yaml:4: check "a" method: must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'
    ],
    [checkWith('expect: ok\n'), 'smoke.yaml:4: check "a" expect: must be a mapping'],
    [
      checkWith('expect:\n      code: 200\n'),
      'smoke.yaml:5: check "a" expect: unknown field "code" (expected one of: status, json, headers, body, maxDuration)'
    ],
    [
      checkWith('expect:\n      json: .a\n'),
      'smoke.yaml:5: check "a" expect.json: must be a list of assertions'
    ],
    [checkWith('expect:\n      headers: x\n'), 'smoke.yaml:5: check "a" expect headers: must be a mapping'],
    [checkWith('expect:\n      body: ok\n'), 'smoke.yaml:5: check "a" expect.body: must be a mapping'],
    [
      checkWith('expect:\n      body:\n        matches: 5\n'),
      'smoke.yaml:6: check "a" expect.body.matches: must be a regular expression string'
    ],
    [
      assertionWith('path: .a\n          matches: 5'),
      'smoke.yaml:7: check "a" expect.json[0] matches: must be a regular expression string'
    ],
    [
      assertionWith('path: version\n          exists: true'),
      'smoke.yaml:6: check "a" expect.json[0] path: a path starts with "." (jq style), as in .version or .items[0].id'
    ],
    [
      assertionWith('path: .a\n          gte: "1"'),
      'smoke.yaml:7: check "a" expect.json[0] gte: must be a number'
    ],
    [
      assertionWith('path: .a\n          lt: "1"'),
      'smoke.yaml:7: check "a" expect.json[0] lt: must be a number'
    ],
    [
      assertionWith('path: .a\n          lte: "1"'),
      'smoke.yaml:7: check "a" expect.json[0] lte: must be a number'
    ],
    [
      assertionWith('path: .a\n          exists: yes'),
      'smoke.yaml:7: check "a" expect.json[0] exists: must be true or false'
    ],
    [
      assertionWith('path: .a\n          type: text'),
      'smoke.yaml:7: check "a" expect.json[0] type: must be one of string, number, boolean, object, array, null'
    ],
    [
      assertionWith('path: .a\n          oneOf: 1'),
      'smoke.yaml:7: check "a" expect.json[0] oneOf: must be a list'
    ],
    [
      assertionWith('jq: .a\n          path: .a\n          equals: 1'),
      `smoke.yaml:6: check "a" expect.json[0]: jq cannot be combined with path, equals (the expression can test the path itself: jq: '.version | test("^1")')`
    ],
    [
      assertionWith('jq: "  "'),
      `smoke.yaml:6: check "a" expect.json[0] jq: must be a jq expression, such as '.connected == true'`
    ],
    ['checks:\n  - name: s\n    run: "  "\n', 'smoke.yaml:3: check "s" run: must be a shell command'],
    ...['path: /x', 'url: http://x', 'headers: {}', 'query: {}', 'body: x', 'json: {}'].map(line => [
      `checks:\n  - name: s\n    run: ./x\n    ${line}\n`,
      `smoke.yaml:4: check "s" ${line.split(':')[0]}: does not apply to a run: check`
    ])
  ])('%j', (text, message) => {
    expect(refusal(text)).toBe(message)
  })
})

describe('a smoke check accepted', () => {
  const only = (text: string) => parseSmokeSpec(text, 'smoke.yaml').checks[0] as HttpCheck

  it('takes each number matcher and the type named null', () => {
    expect(
      only(
        assertionWith(
          'path: .a\n          gt: 1\n          gte: 1\n          lt: 9\n          lte: 9\n          length: 2\n        - path: .b\n          type: null'
        )
      ).expect.json
    ).toEqual([
      { path: '.a', gt: 1, gte: 1, lt: 9, lte: 9, length: 2 },
      { path: '.b', type: 'null' }
    ])
  })

  it('takes the lowest and highest HTTP statuses', () => {
    expect(only(checkWith('expect:\n      status: [100, 599]\n')).expect.status).toEqual([100, 599])
  })

  it('takes a body expectation without a regular expression', () => {
    expect(only(checkWith('expect:\n      body:\n        contains: ok\n')).expect.body).toEqual({
      contains: 'ok'
    })
  })

  it('sends a JSON body that is a single value', () => {
    expect(only(checkWith('json: 42\n')).json).toBe(42)
    expect(only(checkWith('json: [1, "a"]\n')).json).toEqual([1, 'a'])
  })

  it('refuses a header with no value', () => {
    expect(refusal(checkWith('headers:\n      X-Token:\n'))).toMatch(
      /^smoke\.yaml:\d+: check "a" headers\.X-Token: must be a string$/
    )
  })
})

describe('with only a base URL', () => {
  it('checks that GET /healthz answers 2xx, retrying until the deadline', () => {
    expect(defaultSmokeSpec()).toEqual({
      source: 'smoke-url',
      checks: [
        {
          type: 'http',
          name: 'health',
          method: 'GET',
          target: '/healthz',
          headers: {},
          query: {},
          retry: true,
          timeoutMs: DEFAULT_TIMEOUT_MS,
          intervalMs: DEFAULT_INTERVAL_MS,
          expect: { status: [], json: [], headers: {} }
        }
      ]
    })
    expect(defaultSmokeSpec(5_000, 100).checks[0]).toMatchObject({ timeoutMs: 5_000, intervalMs: 100 })
  })
})
