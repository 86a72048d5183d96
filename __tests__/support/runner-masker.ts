/**
 * The GitHub runner's rule for secrets, as actions/runner applies it (Worker.cs
 * InitializeSecretMasker, JobExtension.cs): every secret is a mask, and so is
 * each trimmed line of a multi-line secret, with no minimum length; each mask
 * is also matched in the encoded forms the runner's value encoders produce
 * (base64 and its two shifted forms, JSON string, URI data and backslash
 * escapes). A job output containing any of them is dropped ("Skip output
 * '<name>' since it may contain secret").
 */
function base64(bytes: Buffer): string {
  return bytes.toString('base64')
}

/** The encoded forms of one mask, as the runner's encoders make them. */
function encodedForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8')
  const shifted = (shift: number) => (bytes.length > shift ? base64(bytes.subarray(shift)) : base64(bytes))
  return [
    value,
    base64(bytes),
    shifted(1),
    shifted(2),
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    value.replace(/\\/g, '\\\\')
  ]
}

/** Every mask a secret adds: the value, each trimmed non-empty line, and their encoded forms. */
export function runnerMasks(secret: string): Set<string> {
  const values = [secret, ...secret.split(/\r?\n/).map(line => line.trim())].filter(v => v.length > 0)
  return new Set(values.flatMap(encodedForms).filter(v => v.length > 0))
}

/** Whether the runner would drop a job output with this value: the masks found in it (empty: kept). */
export function masksIn(output: string, masks: Set<string>): string[] {
  return [...masks].filter(mask => output.includes(mask))
}
