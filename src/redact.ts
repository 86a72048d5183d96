/** Removes secret values from any text that may reach a log, an output or the summary. Pure. */
export const REDACTED = '***'

/** Header values that are credentials whatever their content. */
export const SENSITIVE_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token'
])

/** Header names that carry credentials under many spellings (X-Session-Id, X-Csrf-Token, Api-Key...). */
const SENSITIVE_HEADER_NAME = /token|secret|key|auth|session|cookie/i

/** True for a header whose value is a credential by its name alone. */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADERS.has(name.toLowerCase()) || SENSITIVE_HEADER_NAME.test(name)
}

/** A secret read from a file or a `$(cat token)` keeps its trailing newline; the value is what precedes it. */
export function normalizeSecret(secret: string): string {
  return secret.replace(/[\r\n]+$/, '')
}

/** Secrets shorter than this are not redacted: they would blank out ordinary text. */
const MIN_SECRET_LENGTH = 3
/** Encoded forms shorter than this are not redacted either. */
const MIN_ENCODED_LENGTH = 4

/**
 * How a secret appears in text, matched whatever the letter case: raw, inside a
 * JSON string (quotes, backslashes and newlines escaped; slashes and other
 * characters too, as some servers write them), URL-encoded
 * (encodeURIComponent, and form encoding as in a query string).
 */
function textForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1)
  return [
    secret,
    json,
    // PHP, Java and others also escape the slash in JSON strings.
    json.replace(/\//g, '\\/'),
    // And some escape every non-ASCII or HTML-special character as \uXXXX.
    json.replace(/[^\x20-\x7e]|[<>&'/]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2)
  ]
}

/**
 * How a secret appears base64-encoded (standard and URL-safe, padded or not),
 * matched with its case: whole, and the part that does not depend on its
 * neighbours when it sits at any of the three byte offsets inside a longer
 * encoded value (`Basic base64(user:password)`).
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const forms: string[] = []
  const whole = bytes.toString('base64')
  forms.push(whole, whole.replace(/=+$/, ''))
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64')
    // Groups of 3 bytes become 4 characters: keep the groups made of the secret's bytes only.
    const whole3 = Math.floor((offset + bytes.length) / 3)
    forms.push(encoded.slice(offset > 0 ? 4 : 0, whole3 * 4))
  }
  return forms.flatMap(f => [f, f.replace(/\+/g, '-').replace(/\//g, '_')])
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/** One alternation, longest first, so a secret that contains another is removed whole. */
function alternation(forms: Iterable<string>, flags: string): RegExp | undefined {
  const unique = [...new Set(forms)].filter(f => f.length >= MIN_SECRET_LENGTH)
  if (unique.length === 0) return undefined
  unique.sort((a, b) => b.length - a.length)
  return new RegExp(unique.map(escapeRegExp).join('|'), flags)
}

/** A redaction of `secrets`, its patterns built once for many texts. Pure. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const values = new Set<string>()
  for (const secret of secrets) {
    // The value with its trailing newline, and without it.
    for (const value of [secret, normalizeSecret(secret)])
      if (value.length >= MIN_SECRET_LENGTH) values.add(value)
  }
  if (values.size === 0) return text => text
  const plain = alternation([...values].flatMap(textForms), 'giu')
  const encoded = alternation(
    [...values].flatMap(base64Forms).filter(f => f.length >= MIN_ENCODED_LENGTH),
    'gu'
  )
  return text => {
    let result = text
    if (plain) result = result.replace(plain, REDACTED)
    if (encoded) result = result.replace(encoded, REDACTED)
    return result
  }
}

export function redact(text: string, secrets: readonly string[]): string {
  return redactor(secrets)(text)
}

/**
 * Redacts, then cuts to at most `limit` characters. In this order, a secret
 * that straddles the cut cannot leave its visible half behind. Every cut of text
 * that may hold a secret goes through here.
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

/**
 * Redacts every string of a JSON value, keys included, so that what is later
 * shown of it (and cut) is already redacted. Numbers and booleans stay as they
 * are: the caller redacts the text it makes of them. Pure.
 */
export function redactJson(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, secrets)
  if (Array.isArray(value)) return value.map(item => redactJson(item, secrets))
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [redact(k, secrets), redactJson(v, secrets)])
    )
  return value
}

/**
 * A URL without its `user:password@` part, as given otherwise (no
 * normalisation), for anything that shows or outputs a URL. Text that is not a
 * URL is returned unchanged. Pure.
 */
export function withoutCredentials(url: string): string {
  // The authority runs from "//" to the first "/", "\", "?" or "#"; userinfo ends at its last "@".
  return url.replace(/^(\s*[A-Za-z][A-Za-z0-9+.-]*:[\\/]{2})[^/\\?#]*@/, '$1')
}
