/**
 * jq-style paths over parsed JSON: `.a.b[0]`, `.["odd key"]`, `.items[-1]`, `.` for
 * the whole document. A small resolver of our own: no eval. Pure.
 */
export type PathSegment = string | number

export function parseJsonPath(path: string): PathSegment[] {
  if (!path.startsWith('.'))
    throw new Error(`a path starts with "." (jq style), as in .version or .items[0].id`)
  const segments: PathSegment[] = []
  let i = 0
  while (i < path.length) {
    if (path[i] === '.' && path[i + 1] !== '[') {
      i++
      if (i >= path.length) {
        // "." alone is the whole document; a trailing dot after a key is a typo.
        if (segments.length > 0) throw new Error(`a path cannot end with "." (${path})`)
        break
      }
      const match = /^[A-Za-z_$][\w$-]*/.exec(path.slice(i))
      if (!match) throw new Error(`unexpected "${path.slice(i)}" in ${path}`)
      segments.push(match[0])
      i += match[0].length
    } else if (path[i] === '[' || (path[i] === '.' && path[i + 1] === '[')) {
      if (path[i] === '.') i++
      // A quoted key may itself contain "]": find the bracket that closes the quote.
      const quoted = /^\[\s*"(?:[^"\\]|\\.)*"\s*\]/.exec(path.slice(i))
      const close = quoted ? i + quoted[0].length - 1 : path.indexOf(']', i)
      // Stryker disable next-line EqualityOperator: equivalent, a path starts with "." so a bracket is never at 0
      if (close < 0) throw new Error(`unclosed [ in ${path}`)
      const inside = path.slice(i + 1, close).trim()
      if (/^-?\d+$/.test(inside)) segments.push(Number(inside))
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inside)) segments.push(JSON.parse(inside) as string)
      else throw new Error(`[${inside}] must be an index or a "quoted key" in ${path}`)
      i = close + 1
    } else {
      throw new Error(`unexpected "${path.slice(i)}" in ${path}`)
    }
  }
  return segments
}

/** The value at `path`, or `found: false` when some step does not exist. */
export function resolveJsonPath(document: unknown, path: string): { found: boolean; value?: unknown } {
  let current: unknown = document
  for (const segment of parseJsonPath(path)) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return { found: false }
      const index = segment < 0 ? current.length + segment : segment
      if (index < 0 || index >= current.length) return { found: false }
      current = current[index]
    } else {
      if (
        current === null ||
        typeof current !== 'object' ||
        Array.isArray(current) ||
        !Object.hasOwn(current, segment)
      )
        return { found: false }
      current = (current as Record<string, unknown>)[segment]
    }
  }
  return { found: true, value: current }
}
