/**
 * The release record as a job output carries it. GitHub drops a job output
 * that contains any masked value, and the runner masks every trimmed line of a
 * multi-line secret: a JSON kubeconfig makes masks of `{` and `}`, a YAML one of
 * lines such as `kind: Config`. A record written as JSON would then vanish
 * between jobs. Written as lower-case hex, it holds only [0-9a-f], which no
 * line of a kubeconfig (nor its base64, JSON or URL forms) consists of. Pure.
 */
export function encodeRelease(json: string): string {
  return Buffer.from(json, 'utf8').toString('hex')
}

/**
 * The record's text from promote-from: decoded when it is the hex the release output carries,
 * else as given (release-json, or anything else, which the JSON reader then refuses).
 */
export function decodeRelease(text: string): string {
  const trimmed = text.trim()
  return /^(?:[0-9a-f]{2})+$/.test(trimmed) ? Buffer.from(trimmed, 'hex').toString('utf8') : text
}
