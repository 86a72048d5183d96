/** Regular expressions are RE2, matched in linear time: no pattern can stall a check. */
import { parseSmokeSpec } from '../../../src/smoke/spec.js'
import { checkJsonAssertion, checkResponse } from '../../../src/smoke/expect.js'
import { regexProblem, regexTest } from '../../../src/smoke/regex.js'

const check = (expect: string) =>
  `checks:\n  - name: a\n    path: /x\n    expect:\n${expect.replace(/^/gm, '      ')}\n`

describe('RE2 regular expressions', () => {
  const pathological = 'a'.repeat(28) + '!'

  it('answers ^(a+)+$ against 28 a and a "!" (exponential for a backtracking engine): no match', async () => {
    expect(regexTest('^(a+)+$', pathological)).toBe(false)
    expect(regexTest('^(a+)+$', 'a'.repeat(28))).toBe(true)
    expect(checkJsonAssertion({ v: pathological }, { path: '.v', matches: '^(a+)+$' })).toBe(
      `.v: expected to match /^(a+)+$/, got "${pathological}"`
    )
    expect(
      await checkResponse(
        { status: [], json: [], headers: { 'X-Id': '^(a+)+$' }, body: { matches: '^(a+)+$' } },
        { status: 200, headers: { 'x-id': pathological }, body: pathological, durationMs: 1 }
      )
    ).toEqual([
      `header X-Id: expected to match /^(a+)+$/, got "${pathological}"`,
      'body: expected to match /^(a+)+$/'
    ])
  })

  it.each([
    ['lookahead', 'json:\n  - path: .v\n    matches: "^(?=a)"', 'expect.json[0] matches', 7],
    ['negative lookahead', 'json:\n  - path: .v\n    matches: "^(?!a)"', 'expect.json[0] matches', 7],
    ['lookbehind', 'body:\n  matches: "(?<=a)b"', 'expect.body.matches', 6],
    ['a backreference', 'headers:\n  ETag: "(a)\\\\1"', 'expect.headers.ETag', 6]
  ])('refuses %s when the file is read, naming the check and field', (_, expectation, field, line) => {
    let message = ''
    try {
      parseSmokeSpec(check(expectation), 'smoke.yaml')
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(
      new RegExp(
        `^smoke\\.yaml:${line}: check "a" ${field.replace(/[.[\]]/g, '\\$&')}: invalid regular expression: .*\\(the dialect is RE2: it has no lookahead, lookbehind or backreferences\\)$`
      )
    )
  })

  it('keeps the syntax most patterns use, and adds RE2 flags such as (?i)', () => {
    for (const [pattern, text] of [
      ['^application/json', 'application/json; charset=utf-8'],
      ['^\\d+\\.\\d+\\.\\d+$', '1.4.0'],
      ['\\/api\\/v[12]', '/api/v2'],
      ['(?<major>\\d+)\\.', '1.'],
      ['(?i)^ok$', 'OK'],
      ['^.$', '😀']
    ]) {
      expect(regexProblem(pattern)).toBeUndefined()
      expect(regexTest(pattern, text)).toBe(true)
    }
    expect(regexProblem('(')).toMatch(/^invalid regular expression: missing closing \)/)
  })
})
