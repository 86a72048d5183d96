/** Does a response meet a check's expectations? Each unmet one becomes a line. Pure. */
import { canonicalJson } from '../canonical.js'
import { REDACTED, SENSITIVE_HEADERS } from '../redact.js'
import { resolveJsonPath } from './jsonpath.js'
import type { HttpExpectation, JsonAssertion } from './types.js'

export interface ObservedResponse {
  status: number
  headers: Record<string, string>
  body: string
  durationMs: number
}

function show(value: unknown): string {
  const text = JSON.stringify(value)
  return text === undefined ? 'undefined' : text.length > 120 ? `${text.slice(0, 117)}...` : text
}

function typeOf(value: unknown): string {
  if (value === null) return 'null'
  return Array.isArray(value) ? 'array' : typeof value
}

/** Key order does not matter in JSON objects. */
function deepEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b)
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
  if ('equals' in assertion && !deepEqual(value, assertion.equals))
    return `${at}: expected ${show(assertion.equals)}, got ${show(value)}`
  if (assertion.type !== undefined && typeOf(value) !== assertion.type)
    return `${at}: expected type ${assertion.type}, got ${typeOf(value)}`
  if (
    assertion.matches !== undefined &&
    !(typeof value === 'string' && new RegExp(assertion.matches).test(value))
  ) {
    return `${at}: expected to match /${assertion.matches}/, got ${show(value)}`
  }
  if ('contains' in assertion) {
    const ok = Array.isArray(value)
      ? value.some(item => deepEqual(item, assertion.contains))
      : typeof value === 'string' &&
        typeof assertion.contains === 'string' &&
        value.includes(assertion.contains)
    if (!ok) return `${at}: expected to contain ${show(assertion.contains)}, got ${show(value)}`
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
    const length =
      Array.isArray(value) || typeof value === 'string'
        ? value.length
        : value && typeof value === 'object'
          ? Object.keys(value).length
          : undefined
    if (length !== assertion.length)
      return `${at}: expected length ${assertion.length}, got ${length === undefined ? show(value) : length}`
  }
  if (assertion.oneOf !== undefined && !assertion.oneOf.some(option => deepEqual(option, value))) {
    return `${at}: expected one of ${show(assertion.oneOf)}, got ${show(value)}`
  }
  return undefined
}

function checkJsonBody(expectation: HttpExpectation, body: string): string[] {
  let document: unknown
  try {
    document = JSON.parse(body)
  } catch (error) {
    return [`body: expected JSON, got something else (${(error as Error).message})`]
  }
  return expectation.json
    .map(assertion => checkJsonAssertion(document, assertion))
    .filter((p): p is string => p !== undefined)
}

/** Every unmet expectation, as "what: expected ..., got ..." lines; empty when the response passes. */
export function checkResponse(expectation: HttpExpectation, response: ObservedResponse): string[] {
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
    if (value === undefined || !new RegExp(pattern).test(value))
      problems.push(
        `header ${name}: expected to match /${pattern}/, got ${value === undefined ? 'none' : SENSITIVE_HEADERS.has(name.toLowerCase()) ? REDACTED : show(value)}`
      )
  }
  if (expectation.body?.contains !== undefined && !response.body.includes(expectation.body.contains)) {
    problems.push(`body: expected to contain ${show(expectation.body.contains)}`)
  }
  if (expectation.body?.matches !== undefined && !new RegExp(expectation.body.matches).test(response.body)) {
    problems.push(`body: expected to match /${expectation.body.matches}/`)
  }
  if (expectation.json.length) problems.push(...checkJsonBody(expectation, response.body))
  if (expectation.maxDurationMs !== undefined && response.durationMs > expectation.maxDurationMs) {
    problems.push(
      `duration: expected at most ${expectation.maxDurationMs}ms, took ${Math.round(response.durationMs)}ms`
    )
  }
  return problems
}
