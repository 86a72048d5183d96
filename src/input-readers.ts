/**
 * Readers of single action inputs, each checking one format (a boolean, a
 * duration, a list, a URL, headers, a choice) and saying which input was
 * wrong and what was expected. inputs.ts builds the StageConfig from them.
 */
import { StageError } from './errors.js'
import { parseDuration } from './duration.js'
import { withoutCredentials } from './redact.js'
import { parseCanarySteps } from './strategy/plan.js'

export type InputReader = (name: string) => string

export function required(read: InputReader, name: string): string {
  const value = read(name).trim()
  if (!value) throw new StageError('InvalidInput', `Input required and not supplied: ${name}`)
  return value
}

export function optional(read: InputReader, name: string): string | undefined {
  const value = read(name).trim()
  return value === '' ? undefined : value
}

export function booleanInput(read: InputReader, name: string, fallback: boolean): boolean {
  const value = read(name).trim().toLowerCase()
  if (value === '') return fallback
  if (['true', 'yes', '1', 'on'].includes(value)) return true
  if (['false', 'no', '0', 'off'].includes(value)) return false
  throw new StageError('InvalidInput', `Input ${name} must be true or false, not "${read(name).trim()}".`)
}

export function durationInput(read: InputReader, name: string, fallback: string): number {
  const text = optional(read, name) ?? fallback
  const ms = parseDuration(text)
  if (ms === undefined || ms <= 0) {
    throw new StageError(
      'InvalidInput',
      `Input ${name} must be a duration such as 90s, 5m or 1h30m, not "${text}".`
    )
  }
  return ms
}

/** Newline- or comma-separated values, trimmed, blanks dropped; undefined when empty. */
export function listInput(read: InputReader, name: string): string[] | undefined {
  const values = read(name)
    .split(/[\n,]/)
    .map(v => v.trim())
    .filter(Boolean)
  return values.length ? values : undefined
}

/** "Name: value" lines (HTTP headers), such as "Authorization: Bearer ${{ secrets.TOKEN }}". */
export function headersInput(read: InputReader, name: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const line of read(name).split('\n')) {
    if (!line.trim()) continue
    const at = line.indexOf(':')
    const header = at > 0 ? line.slice(0, at).trim() : ''
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header))
      throw new StageError(
        'InvalidInput',
        `Input ${name} must hold one "Name: value" header per line; one line has no header name.`
      )
    headers[header] = line.slice(at + 1).trim()
  }
  return headers
}

export function choiceInput<T extends string>(
  read: InputReader,
  name: string,
  choices: readonly T[],
  fallback: T
): T {
  const value = optional(read, name) ?? fallback
  if (!(choices as readonly string[]).includes(value)) {
    throw new StageError(
      'InvalidInput',
      `Input ${name} must be one of ${choices.join(', ')}, not "${value}".`
    )
  }
  return value as T
}

/**
 * smoke-url: an absolute http(s) URL with a host, and no whitespace or control
 * characters (the URL parser would drop a tab or newline without a word, so
 * the text checks get as SMOKE_URL would not be the URL requested). It reaches
 * `run:` checks only as the SMOKE_URL environment variable, never a command
 * line. Messages leave out its `user:password@`.
 */
export function urlInput(read: InputReader, name: string): string | undefined {
  const value = optional(read, name)
  if (value === undefined) return undefined
  const shown = withoutCredentials(value)
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(value))
    throw new StageError(
      'InvalidInput',
      `Input ${name} must be an http(s) URL without spaces or control characters, not ${JSON.stringify(shown)}.`
    )
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new StageError('InvalidInput', `Input ${name} must be an absolute http(s) URL, not "${shown}".`)
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '')
    throw new StageError('InvalidInput', `Input ${name} must be an http(s) URL, not "${shown}".`)
  return value
}

/** canary-steps: the canary's share of pods at each step, "10%, 50%". */
export function canaryStepsInput(read: InputReader): number[] {
  const text = optional(read, 'canary-steps') ?? '10%, 50%'
  const steps = parseCanarySteps(text)
  if (typeof steps === 'string')
    throw new StageError(
      'InvalidInput',
      `Input canary-steps must list the canary's share of pods at each step, rising, such as "10%, 50%": ${steps}.`
    )
  return steps
}
