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

/** A secret as it appears raw, and inside a JSON string (quotes, backslashes and newlines escaped). */
function secretForms(secret: string): string[] {
  const escaped = JSON.stringify(secret).slice(1, -1)
  return escaped === secret ? [secret] : [secret, escaped]
}

export function redact(text: string, secrets: readonly string[]): string {
  let result = text
  const forms = secrets.filter(s => s.length >= 3).flatMap(secretForms)
  // Longest first, so a secret that contains another is removed whole.
  for (const secret of forms.sort((a, b) => b.length - a.length)) {
    result = result.split(secret).join(REDACTED)
  }
  return result
}

/**
 * Redacts, then cuts to at most `limit` characters. In this order, a secret
 * that straddles the cut cannot leave its visible half behind.
 */
export function redactAndCut(
  text: string,
  secrets: readonly string[],
  limit: number,
  keep: 'start' | 'end' = 'start'
): string {
  const clean = redact(text, secrets)
  if (clean.length <= limit) return clean
  return keep === 'start' ? `${clean.slice(0, limit)}…` : `…${clean.slice(-limit)}`
}
