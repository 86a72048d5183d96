/**
 * Does a response meet a check's expectations? Each unmet one becomes a line. Pure but
 * for jq, which runs in a worker thread (see jq.ts): hence async. JSON assertions follow jq's
 * semantics (jsonvalue.ts); regular expressions are RE2, matched in linear time (regex.ts).
 */
import { REDACTED, SENSITIVE_HEADERS } from '../redact.js'
import { checkJq, jqTimeLimitMs } from './jq.js'
import { resolveJsonPath } from './jsonpath.js'
import {
  MAX_JSON_DEPTH,
  jsonContains,
  jsonEqual,
  jsonLength,
  jsonType,
  nestedDeeperThan
} from './jsonvalue.js'
import { regexTest } from './regex.js'
import type { HttpExpectation, JsonAssertion } from './types.js'

export interface ObservedResponse {
  status: number
  headers: Record<string, string>
  body: string
  durationMs: number
}

export interface CheckOptions {
  /** The check's deadline (epoch ms): no jq expression runs past it (see jqTimeLimitMs). */
  deadline?: number
}

function show(value: unknown): string {
  // JSON.stringify would show Infinity and NaN (from YAML) as null.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  const text = JSON.stringify(value)
  return text === undefined ? 'undefined' : text.length > 120 ? `${text.slice(0, 117)}...` : text
}

export function checkJsonAssertion(document: unknown, assertion: JsonAssertion): string | undefined {
  const { found, value } = resolveJsonPath(document, assertion.path)
  const at = assertion.path
  if (assertion.exists !== undefined) {
    if (assertion.exists !== found) return `${at}: expected ${assertion.exists ? 'to exist' : 'to be absent'}`
  } else if (!found) {
    return `${at}: not found in the response`
  }
  if (!found) return undefined
  if ('equals' in assertion && !jsonEqual(value, assertion.equals))
    return `${at}: expected ${show(assertion.equals)}, got ${show(value)}`
  // YAML reads `type: null` as null, not as the name "null".
  const type = assertion.type === undefined ? undefined : (assertion.type ?? 'null')
  if (type !== undefined && jsonType(value) !== type)
    return `${at}: expected type ${type}, got ${jsonType(value)}`
  if (
    assertion.matches !== undefined &&
    !(typeof value === 'string' && regexTest(assertion.matches, value))
  ) {
    return `${at}: expected to match /${assertion.matches}/, got ${show(value)}`
  }
  if ('contains' in assertion && !jsonContains(value, assertion.contains)) {
    // jq: an array contains an array ([1,2] | contains([1])), never a bare element.
    const hint =
      Array.isArray(value) && !Array.isArray(assertion.contains)
        ? ` (as in jq, write the element in a list: contains: [${show(assertion.contains)}])`
        : ''
    return `${at}: expected to contain ${show(assertion.contains)}, got ${show(value)}${hint}`
  }
  for (const [op, bound] of [
    ['gt', assertion.gt],
    ['gte', assertion.gte],
    ['lt', assertion.lt],
    ['lte', assertion.lte]
  ] as const) {
    if (bound === undefined) continue
    const ok =
      typeof value === 'number' &&
      (op === 'gt'
        ? value > bound
        : op === 'gte'
          ? value >= bound
          : op === 'lt'
            ? value < bound
            : value <= bound)
    if (!ok) return `${at}: expected ${op} ${bound}, got ${show(value)}`
  }
  if (assertion.length !== undefined) {
    const length = jsonLength(value)
    if (length !== assertion.length)
      return `${at}: expected length ${assertion.length}, got ${length === undefined ? show(value) : length}`
  }
  if (assertion.oneOf !== undefined && !assertion.oneOf.some(option => jsonEqual(value, option))) {
    return `${at}: expected one of ${show(assertion.oneOf)}, got ${show(value)}`
  }
  return undefined
}

async function checkJsonBody(
  expectation: HttpExpectation,
  body: string,
  options: CheckOptions
): Promise<string[]> {
  // Checked before parsing: walking a value nested 100,000 deep would overflow the stack,
  // and the error would escape as if the request had failed.
  if (nestedDeeperThan(body, MAX_JSON_DEPTH))
    return [`body: nested deeper than ${MAX_JSON_DEPTH} levels, the limit for JSON assertions`]
  let document: unknown
  try {
    document = JSON.parse(body)
  } catch (error) {
    return [`body: expected JSON, got something else (${(error as Error).message})`]
  }
  const problems: string[] = []
  // What is left before the deadline, counted when an expression starts: others may run first.
  const jqLimit = () => jqTimeLimitMs(options.deadline, Date.now())
  for (const assertion of expectation.json) {
    try {
      const problem =
        'jq' in assertion
          ? await checkJq(body, assertion.jq, jqLimit)
          : checkJsonAssertion(document, assertion)
      if (problem !== undefined) problems.push(problem)
    } catch (error) {
      // Whatever goes wrong in an assertion fails the assertion, not the request.
      const at = 'jq' in assertion ? `jq '${assertion.jq}'` : assertion.path
      problems.push(`${at}: could not be checked (${(error as Error).message})`)
    }
  }
  return problems
}

/** Every unmet expectation, as "what: expected ..., got ..." lines; empty when the response passes. */
export async function checkResponse(
  expectation: HttpExpectation,
  response: ObservedResponse,
  options: CheckOptions = {}
): Promise<string[]> {
  const problems: string[] = []
  const statusOk = expectation.status.length
    ? expectation.status.includes(response.status)
    : response.status >= 200 && response.status < 300
  if (!statusOk)
    problems.push(
      `status: expected ${expectation.status.length ? expectation.status.join(' or ') : '2xx'}, got ${response.status}`
    )
  for (const [name, pattern] of Object.entries(expectation.headers)) {
    const value = response.headers[name.toLowerCase()]
    if (value === undefined || !regexTest(pattern, value))
      problems.push(
        `header ${name}: expected to match /${pattern}/, got ${value === undefined ? 'none' : SENSITIVE_HEADERS.has(name.toLowerCase()) ? REDACTED : show(value)}`
      )
  }
  if (expectation.body?.contains !== undefined && !response.body.includes(expectation.body.contains)) {
    problems.push(`body: expected to contain ${show(expectation.body.contains)}`)
  }
  if (expectation.body?.matches !== undefined && !regexTest(expectation.body.matches, response.body)) {
    problems.push(`body: expected to match /${expectation.body.matches}/`)
  }
  if (expectation.json.length) problems.push(...(await checkJsonBody(expectation, response.body, options)))
  if (expectation.maxDurationMs !== undefined && response.durationMs > expectation.maxDurationMs) {
    problems.push(
      `duration: expected at most ${expectation.maxDurationMs}ms, took ${Math.round(response.durationMs)}ms`
    )
  }
  return problems
}
