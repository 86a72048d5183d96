/**
 * "A dev secret in prod", by value: a Secret value that production uses and an
 * upstream stage used too (the staging database password copied into
 * production under a production name). Each stage carries, in its release
 * record, a keyed digest of every value of the Secrets its pods use:
 * HMAC-SHA256 under the release-key, cut to 64 bits. Without the key a digest
 * cannot be tested against guessed passwords, which a digest salted with
 * anything public (the commit) could; so the check needs release-key, the key
 * the records are signed with.
 * Left out: values that are public by nature (a certificate, a CA bundle),
 * empty values, and the keys the workflow declares shared (a username, a port).
 * Pure.
 */
import { createHmac } from 'node:crypto'

export interface SecretValues {
  /** The Secret's name. */
  name: string
  /** key → base64 value, as the API server keeps Secret data. */
  data: Record<string, string>
}

/** Keys of Secret data that hold public material: a TLS Secret's certificate, a CA bundle. */
const PUBLIC_KEYS = new Set(['tls.crt', 'ca.crt'])

/** "name/key" and "key" entries: a key shared across environments by design. */
export function isSharedKey(secret: string, key: string, shared: readonly string[]): boolean {
  return shared.includes(key) || shared.includes(`${secret}/${key}`)
}

/** "Secret/name:key" → keyed digest of its value. */
export function secretValueDigests(
  secrets: readonly SecretValues[],
  key: string,
  shared: readonly string[]
): Record<string, string> {
  const digests: Record<string, string> = {}
  for (const { name, data } of secrets) {
    for (const [field, value] of Object.entries(data)) {
      if (!value || PUBLIC_KEYS.has(field) || isSharedKey(name, field, shared)) continue
      const bytes = Buffer.from(value, 'base64')
      if (bytes.length === 0) continue
      digests[`Secret/${name}:${field}`] = createHmac('sha256', key)
        .update('kube-stage secret value\u0000')
        .update(bytes)
        .digest('hex')
        .slice(0, 16)
    }
  }
  return digests
}

/** One line per value used here that the upstream stage used too, naming both places. */
export function reusedSecretValues(
  own: Readonly<Record<string, string>>,
  upstream: Readonly<Record<string, string>>,
  environment: string,
  upstreamEnvironment: string
): string[] {
  const byDigest = new Map<string, string[]>()
  for (const [where, digest] of Object.entries(upstream))
    byDigest.set(digest, [...(byDigest.get(digest) ?? []), where])
  return Object.entries(own).flatMap(([where, digest]) => {
    const there = byDigest.get(digest)
    if (!there) return []
    const [secret, field] = where.split(':')
    return [
      `${secret} key ${field} in ${environment} has the same value as ${there
        .map(w => w.replace(':', ' key '))
        .join(', ')} in ${upstreamEnvironment}`
    ]
  })
}

/** Secret data from a manifest: data as it is, stringData encoded as the API server would. */
export function manifestSecretData(secret: Record<string, unknown>): Record<string, string> {
  const data = { ...((secret.data ?? {}) as Record<string, string>) }
  for (const [key, value] of Object.entries((secret.stringData ?? {}) as Record<string, string>))
    data[key] = Buffer.from(String(value)).toString('base64')
  return data
}
