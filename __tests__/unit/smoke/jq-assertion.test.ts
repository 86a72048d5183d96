/** `jq:` assertions run real jq (jq-wasm); the seed's `jq -e '.connected == true'` ports verbatim. */
import { defaultSmokeSpec, parseSmokeSpec, prepareSmokeSpec } from '../../../src/smoke/spec.js'
import { checkResponse } from '../../../src/smoke/expect.js'
import { checkJq, jqCompileProblem, loadJq } from '../../../src/smoke/jq.js'
import type { HttpCheck } from '../../../src/smoke/types.js'
import { StageError } from '../../../src/errors.js'

const spec = (assertions: string) =>
  parseSmokeSpec(
    `checks:\n  - name: db\n    path: /api/db-status\n    expect:\n      json:\n${assertions}`,
    'smoke.yaml'
  )

async function specError(assertions: string): Promise<StageError> {
  try {
    await prepareSmokeSpec(spec(assertions))
  } catch (error) {
    return error as StageError
  }
  throw new Error('expected the spec to be refused')
}

const respond = (body: unknown) => ({
  status: 200,
  headers: {},
  body: typeof body === 'string' ? body : JSON.stringify(body),
  durationMs: 1
})

beforeAll(async () => {
  await loadJq()
})

describe('jq assertions', () => {
  it('ports the seed script verbatim: .connected == true', async () => {
    const parsed = spec("        - jq: '.connected == true'\n")
    await prepareSmokeSpec(parsed)
    const { expect: expectation } = parsed.checks[0] as HttpCheck
    expect(expectation.json).toEqual([{ jq: '.connected == true', line: 6 }])
    expect(checkResponse(expectation, respond({ connected: true }))).toEqual([])
    expect(checkResponse(expectation, respond({ connected: false }))).toEqual([
      "jq '.connected == true': expected true, got false"
    ])
  })

  it('runs real jq: .items | length > 2', () => {
    expect(checkJq(JSON.stringify({ items: [1, 2, 3] }), '.items | length > 2')).toBeUndefined()
    expect(checkJq(JSON.stringify({ items: [1, 2] }), '.items | length > 2')).toBe(
      "jq '.items | length > 2': expected true, got false"
    )
  })

  it('passes when every output is truthy and there is at least one', () => {
    const body = JSON.stringify({ tags: ['a', 'b'], n: 0, s: '' })
    expect(checkJq(body, '.tags[]')).toBeUndefined()
    // 0 and "" are truthy in jq.
    expect(checkJq(body, '.n, .s')).toBeUndefined()
    expect(checkJq(body, '.tags[] | . == "a"')).toBe(
      `jq '.tags[] | . == "a"': expected true, got false (output 2 of 2)`
    )
    expect(checkJq(body, '.missing')).toBe("jq '.missing': expected true, got null")
    expect(checkJq(body, 'empty')).toBe("jq 'empty': expected true, got no output")
  })

  it('reports a jq error as the reason', () => {
    expect(checkJq(JSON.stringify({ n: 1 }), '.n | error("boom")')).toBe(
      `jq '.n | error("boom")': error: boom`
    )
    expect(checkJq(JSON.stringify({ n: 1 }), '.n[0]')).toMatch(/^jq '\.n\[0\]': error: Cannot index number/)
  })

  it('sees the response body, not the job environment', () => {
    process.env.KUBE_STAGE_JQ_PROBE = 'secret'
    try {
      expect(checkJq('{}', '$ENV | has("KUBE_STAGE_JQ_PROBE") | not')).toBeUndefined()
    } finally {
      delete process.env.KUBE_STAGE_JQ_PROBE
    }
  })

  it('refuses an expression that does not compile, naming the file, line, check and field', async () => {
    const error = await specError("        - jq: '.connected =='\n")
    expect(error.code).toBe('InvalidSmokeSpec')
    expect(error.message).toMatch(
      /^smoke\.yaml:6: check "db" expect\.json\[0\] jq: error: syntax error, unexpected end of file at <top-level>, line 1, column 12$/
    )
    expect(error.location).toEqual({ file: 'smoke.yaml', line: 6 })
    const undefinedName = await specError(
      "        - path: .ok\n          equals: true\n        - jq: '$nope'\n"
    )
    expect(undefinedName.message).toMatch(
      /^smoke\.yaml:8: check "db" expect\.json\[1\] jq: error: \$nope is not defined at <top-level>, line 1, column 1$/
    )
  })

  it('compiles without running: an expression that would never end is accepted quickly', async () => {
    await expect(prepareSmokeSpec(spec("        - jq: 'repeat(1) # forever'\n"))).resolves.toBeUndefined()
  })

  it.each([
    ["        - jq: '.a'\n          path: .a\n", /expect\.json\[0\]: jq cannot be combined with path/],
    ['        - jq: ""\n', /expect\.json\[0\] jq: must be a jq expression/],
    ['        - jq: [1]\n', /expect\.json\[0\] jq: must be a jq expression/]
  ])('refuses %j when the file is read', (assertions, message) => {
    expect(() => spec(assertions)).toThrow(message)
  })
})

describe('jq reasons', () => {
  it('names the expression on one line, cut at 80 characters', () => {
    expect(checkJq('{}', '\n  .a\n  and   .b\n')).toBe("jq '.a and .b': expected true, got false")
    const exactly80 = `.a == "${'x'.repeat(72)}"`
    expect(exactly80).toHaveLength(80)
    expect(checkJq('{}', exactly80)).toBe(`jq '${exactly80}': expected true, got false`)
    const longer = `.a == "${'x'.repeat(73)}"`
    expect(checkJq('{}', longer)).toBe(`jq '${longer.slice(0, 77)}...': expected true, got false`)
  })

  it("drops jq's input position, whatever the line of a long body", () => {
    const body = JSON.stringify({ list: Array.from({ length: 12 }, (_, i) => i) }, null, 2)
    expect(checkJq(body, '.list[] | .[0]')).toBe(
      "jq '.list[] | .[0]': error: Cannot index number with number (0)"
    )
  })

  it('gives the exit code when jq stops without a message', () => {
    expect(checkJq('{}', '"" | halt_error(5)')).toBe(`jq '"" | halt_error(5)': jq exited with code 5`)
  })

  it("gives jq's first line as it is when that is not jq's own error", () => {
    expect(checkJq('{}', '"jq: hi" | debug | error("x")')).toBe(
      `jq '"jq: hi" | debug | error("x")': ["DEBUG:","jq: hi"]`
    )
  })

  it('counts outputs one JSON value at a time, however large', () => {
    expect(checkJq('{}', '{a: 1, b: [1, 2]}, false')).toBe(
      "jq '{a: 1, b: [1, 2]}, false': expected true, got false (output 2 of 2)"
    )
  })

  it('gives the line of a compile error as written, past line 9 too', async () => {
    const jq = await loadJq()
    expect(jqCompileProblem(jq, `${'.a |\n'.repeat(11)}.b ==`)).toBe(
      'error: syntax error, unexpected end of file at <top-level>, line 12, column 4'
    )
  })

  it('refuses an expression that does not compile in a spec that has no lines', async () => {
    const spec = defaultSmokeSpec()
    const check = spec.checks[0] as HttpCheck
    check.expect.json = [{ jq: '.connected ==' }]
    await expect(prepareSmokeSpec(spec)).rejects.toThrow(
      /^smoke-url: check "health" expect\.json\[0\] jq: error: syntax error/
    )
  })
})
