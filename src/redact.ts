/** Removes secret values from any text that may reach a log, an output or the summary. Pure. */
export const REDACTED = '***'

/** Header values that are credentials whatever their content. */
export const SENSITIVE_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key'
])

export function redact(text: string, secrets: readonly string[]): string {
  let result = text
  // Longest first, so a secret that contains another is removed whole.
  for (const secret of [...secrets].filter(s => s.length >= 3).sort((a, b) => b.length - a.length)) {
    result = result.split(secret).join(REDACTED)
  }
  return result
}

export function redactHeaders(
  headers: Record<string, string>,
  secrets: readonly string[]
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      SENSITIVE_HEADERS.has(name.toLowerCase()) ? REDACTED : redact(value, secrets)
    ])
  )
}
