/**
 * Regular expressions of smoke checks (`matches`, `expect.headers`, `expect.body.matches`):
 * RE2 syntax on re2js, a pure-JavaScript port of RE2 that matches in time linear in
 * the input, so no pattern can make a response take seconds to check (`^(a+)+$`
 * against "aaaa…!" backtracks exponentially in JavaScript's own RegExp). RE2 has no
 * lookaround and no backreferences: such patterns are refused when the file is read.
 */
import { RE2JS } from 're2js'

const compiled = new Map<string, RE2JS>()

/** Constructs that backtracking engines have and RE2 does not, for a clearer message. */
const UNSUPPORTED = /\(\?<?[=!]|\\[1-9]|\\k</

/** Why `pattern` is not an RE2 regular expression, or undefined when it is one. */
export function regexProblem(pattern: string): string | undefined {
  try {
    compile(pattern)
    return undefined
  } catch (error) {
    const message = (error as Error).message.replace(/^error parsing regexp: /, '')
    const hint = UNSUPPORTED.test(pattern)
      ? ' (the dialect is RE2: it has no lookahead, lookbehind or backreferences)'
      : ''
    return `invalid regular expression: ${message}${hint}`
  }
}

function compile(pattern: string): RE2JS {
  let re = compiled.get(pattern)
  if (!re) {
    re = RE2JS.compile(pattern)
    compiled.set(pattern, re)
  }
  return re
}

/** Does `pattern` match somewhere in `text` (like RegExp.test, unanchored)? Linear in the text. */
export function regexTest(pattern: string, text: string): boolean {
  return compile(pattern).test(text)
}
