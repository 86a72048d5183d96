/** `jq:` assertions run real jq (jq-wasm); the seed's `jq -e '.connected == true'` ports verbatim. */
import { defaultSmokeSpec, parseSmokeSpec, prepareSmokeSpec } from '../../../src/smoke/spec.js'
import { checkResponse } from '../../../src/smoke/expect.js'
import {
  checkJq,
  JQ_MIN_TIME_LIMIT_MS,
  JQ_TIME_LIMIT_MS,
  jqCompileProblem,
  jqTimeLimitMs,
  jqVerdict,
  preloadJq,
  sharedJq,
  stopJq
} from '../../../src/smoke/jq.js'
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

beforeAll(() => preloadJq())
afterAll(() => stopJq())

describe('jq assertions', () => {
  it('ports the seed script verbatim: .connected == true', async () => {
    const parsed = spec("        - jq: '.connected == true'\n")
    await prepareSmokeSpec(parsed)
    const { expect: expectation } = parsed.checks[0] as HttpCheck
    expect(expectation.json).toEqual([{ jq: '.connected == true', line: 6 }])
    expect(await checkResponse(expectation, respond({ connected: true }))).toEqual([])
    expect(await checkResponse(expectation, respond({ connected: false }))).toEqual([
      "jq '.connected == true': expected true, got false"
    ])
  })

  it('runs real jq: .items | length > 2', async () => {
    expect(await checkJq(JSON.stringify({ items: [1, 2, 3] }), '.items | length > 2')).toBeUndefined()
    expect(await checkJq(JSON.stringify({ items: [1, 2] }), '.items | length > 2')).toBe(
      "jq '.items | length > 2': expected true, got false"
    )
  })

  it('passes when every output is truthy and there is at least one', async () => {
    const body = JSON.stringify({ tags: ['a', 'b'], n: 0, s: '' })
    expect(await checkJq(body, '.tags[]')).toBeUndefined()
    // 0 and "" are truthy in jq.
    expect(await checkJq(body, '.n, .s')).toBeUndefined()
    expect(await checkJq(body, '.tags[] | . == "a"')).toBe(
      `jq '.tags[] | . == "a"': expected true, got false (output 2 of 2)`
    )
    expect(await checkJq(body, '.missing')).toBe("jq '.missing': expected true, got null")
    expect(await checkJq(body, 'empty')).toBe("jq 'empty': expected true, got no output")
  })

  it('reports a jq error as the reason', async () => {
    expect(await checkJq(JSON.stringify({ n: 1 }), '.n | error("boom")')).toBe(
      `jq '.n | error("boom")': error: boom`
    )
    expect(await checkJq(JSON.stringify({ n: 1 }), '.n[0]')).toMatch(
      /^jq '\.n\[0\]': error: Cannot index number/
    )
  })

  it('sees the response body, not the job environment', async () => {
    process.env.KUBE_STAGE_JQ_PROBE = 'secret'
    try {
      expect(await checkJq('{}', '$ENV | has("KUBE_STAGE_JQ_PROBE") | not')).toBeUndefined()
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
  it('names the expression on one line, cut at 80 characters', async () => {
    expect(await checkJq('{}', '\n  .a\n  and   .b\n')).toBe("jq '.a and .b': expected true, got false")
    const exactly80 = `.a == "${'x'.repeat(72)}"`
    expect(exactly80).toHaveLength(80)
    expect(await checkJq('{}', exactly80)).toBe(`jq '${exactly80}': expected true, got false`)
    const longer = `.a == "${'x'.repeat(73)}"`
    expect(await checkJq('{}', longer)).toBe(`jq '${longer.slice(0, 77)}...': expected true, got false`)
  })

  it("drops jq's input position, whatever the line of a long body", async () => {
    const body = JSON.stringify({ list: Array.from({ length: 12 }, (_, i) => i) }, null, 2)
    expect(await checkJq(body, '.list[] | .[0]')).toBe(
      "jq '.list[] | .[0]': error: Cannot index number with number (0)"
    )
  })

  it('gives the exit code when jq stops without a message', async () => {
    expect(await checkJq('{}', '"" | halt_error(5)')).toBe(`jq '"" | halt_error(5)': jq exited with code 5`)
  })

  it("gives jq's first line as it is when that is not jq's own error", async () => {
    expect(await checkJq('{}', '"jq: hi" | debug | error("x")')).toBe(
      `jq '"jq: hi" | debug | error("x")': ["DEBUG:","jq: hi"]`
    )
  })

  it('counts outputs one JSON value at a time, however large', async () => {
    expect(await checkJq('{}', '{a: 1, b: [1, 2]}, false')).toBe(
      "jq '{a: 1, b: [1, 2]}, false': expected true, got false (output 2 of 2)"
    )
  })

  it('gives the line of a compile error as written, past line 9 too', async () => {
    expect(await jqCompileProblem(`${'.a |\n'.repeat(11)}.b ==`)).toBe(
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

describe('the time limit of a jq expression', () => {
  it('is 10 s, and no longer than what is left of the check, but at least 250 ms', () => {
    expect(JQ_TIME_LIMIT_MS).toBe(10_000)
    expect(JQ_MIN_TIME_LIMIT_MS).toBe(250)
    expect(jqTimeLimitMs(undefined, 5_000)).toBe(10_000)
    expect(jqTimeLimitMs(60_000, 0)).toBe(10_000)
    expect(jqTimeLimitMs(10_000, 0)).toBe(10_000)
    expect(jqTimeLimitMs(9_999, 0)).toBe(9_999)
    expect(jqTimeLimitMs(3_000, 1_000)).toBe(2_000)
    expect(jqTimeLimitMs(1_250, 1_000)).toBe(250)
    expect(jqTimeLimitMs(1_249, 1_000)).toBe(250)
    // A response that came after the deadline is still judged, briefly.
    expect(jqTimeLimitMs(1_000, 5_000)).toBe(250)
  })

  it('stops an expression that runs past it, says so, and runs the next one in a new worker', async () => {
    const started = sharedJq().starts
    const before = Date.now()
    expect(await checkJq('{"n":1e18}', 'any(range(.n); . < 0)', 300)).toBe(
      "jq 'any(range(.n); . < 0)': ran past 300ms, the time limit for a jq expression; its worker thread was stopped"
    )
    expect(Date.now() - before).toBeLessThan(3_000)
    expect(await checkJq('{"n":1}', '.n == 1')).toBeUndefined()
    expect(sharedJq().starts).toBe(started + 1)
  })

  it('asks for the limit of a queued expression when it starts, not when it was queued', async () => {
    const queued = Date.now()
    let askedAt = 0
    const [hostile, ordinary] = await Promise.all([
      checkJq('{"n":1e18}', 'any(range(.n); . < 0)', 300),
      checkJq('{"n":1}', '.n == 1', () => {
        askedAt = Date.now()
        return 1_000
      })
    ])
    expect(hostile).toMatch(/: ran past 300ms, /)
    expect(ordinary).toBeUndefined()
    expect(askedAt - queued).toBeGreaterThanOrEqual(300)
  })

  it('reuses one worker for every expression that ends in time', async () => {
    const started = sharedJq().starts
    const reasons = await Promise.all(
      Array.from({ length: 20 }, (_, i) => checkJq(JSON.stringify({ i }), `.i == ${i}`))
    )
    expect(reasons).toEqual(Array.from({ length: 20 }, () => undefined))
    expect(sharedJq().starts).toBe(started)
  })
})

describe('jq verdicts when jq gave no output', () => {
  it('names the expression, the limit it ran past and the stopped worker', () => {
    expect(jqVerdict('any(range(.n); . < 0)', { kind: 'timeout', limitMs: 10_000 })).toBe(
      "jq 'any(range(.n); . < 0)': ran past 10.0s, the time limit for a jq expression; its worker thread was stopped"
    )
  })

  it('gives why jq could not run, or why this expression broke it', () => {
    expect(jqVerdict('.ok', { kind: 'unavailable', message: 'jq could not be loaded (x)' })).toBe(
      "jq '.ok': jq could not be loaded (x)"
    )
    expect(jqVerdict('.ok', { kind: 'failed', message: 'memory access out of bounds' })).toBe(
      "jq '.ok': could not be checked (memory access out of bounds)"
    )
  })
})
