/**
 * JSON values compared the way jq compares them (checked against jq 1.6 and 1.8):
 * equality, `contains`, `length` and type names. Pure; no JSON.stringify, so
 * Infinity and NaN (which YAML has and JSON has not) never pass for null.
 */

/**
 * The deepest nesting of arrays and objects a response body may have for JSON
 * assertions. jq 1.6 stops at 256 levels, jq 1.7 and later at 10,000; past this
 * limit the check fails with a clear reason instead of overflowing the stack.
 */
export const MAX_JSON_DEPTH = 1000

/** Is `text` nested deeper than `limit`? Counts [ and { outside strings: one cheap pass, no parsing. */
export function nestedDeeperThan(text: string, limit = MAX_JSON_DEPTH): boolean {
  // Each level needs an opening bracket, so a short text cannot be too deep.
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, a shortcut: the loop below gives the same verdict for a short text
  if (text.length <= limit) return false
  let depth = 0
  let inString = false
  // Stryker disable next-line EqualityOperator: equivalent, charCodeAt past the end is NaN, which matches no bracket
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

/** jq's name for the type of a JSON value: null, boolean, number, string, array or object. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null'
  return Array.isArray(value) ? 'array' : typeof value
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * Deep equality as jq's `==`: key order does not matter, numbers compare by value
 * and NaN equals nothing. Infinity (YAML's .inf) equals no JSON value but a literal
 * too large for a double, which jq reads as infinite too.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]))
  }
  if (isObject(a)) {
    if (!isObject(b)) return false
    const keys = Object.keys(a)
    return (
      keys.length === Object.keys(b).length &&
      keys.every(key => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]))
    )
  }
  return a === b
}

/**
 * jq's `contains`: an object contains another when each key of the other is there and
 * its value contains the other's value; an array contains another when each element
 * of the other is contained in some element of it; a string contains its substrings;
 * anything else contains only what equals it. Values of different types never do
 * (jq reports an error there).
 */
export function jsonContains(actual: unknown, expected: unknown): boolean {
  if (jsonType(actual) !== jsonType(expected)) return false
  if (Array.isArray(actual)) {
    return (expected as unknown[]).every(wanted => actual.some(item => jsonContains(item, wanted)))
  }
  if (isObject(actual)) {
    const wanted = expected as Record<string, unknown>
    return Object.keys(wanted).every(
      key => Object.hasOwn(actual, key) && jsonContains(actual[key], wanted[key])
    )
  }
  if (typeof actual === 'string') return actual.includes(expected as string)
  return jsonEqual(actual, expected)
}

/** Unicode code points in a string (as jq counts them), not UTF-16 code units. */
export function codePointLength(text: string): number {
  let length = text.length
  // Stryker disable next-line EqualityOperator,ArithmeticOperator: equivalent, a surrogate at the very end has no pair (charCodeAt past the end is NaN)
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--
        i++
      }
    }
  }
  return length
}

/**
 * jq's `length`: code points of a string, elements of an array, keys of an object,
 * the absolute value of a number, 0 for null; undefined for a boolean (an error in jq).
 */
export function jsonLength(value: unknown): number | undefined {
  if (value === null) return 0
  if (typeof value === 'string') return codePointLength(value)
  if (typeof value === 'number') return Math.abs(value)
  if (Array.isArray(value)) return value.length
  if (isObject(value)) return Object.keys(value).length
  return undefined
}

/** Does a value from the checks file hold a number JSON cannot carry (YAML's .inf, .nan)? */
export function hasNonFiniteNumber(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value)
  if (Array.isArray(value)) return value.some(hasNonFiniteNumber)
  if (isObject(value)) return Object.values(value).some(hasNonFiniteNumber)
  return false
}
