/**
 * Decides, from a server-side dry run and the live object, whether applying
 * would change anything. Pure.
 *
 * Provenance annotations (commit, run URL) differ on every run; if they counted,
 * every object would be "configured" every time and a re-run could never say
 * "unchanged". They are ignored here, and unchanged objects are not re-applied,
 * so they keep pointing at the run that last really changed them.
 */
export type ApplyAction = 'created' | 'configured' | 'unchanged'

interface Meta {
  annotations?: Record<string, string>
  managedFields?: { manager?: string; operation?: string }[]
  [key: string]: unknown
}
type Obj = { metadata?: Meta; [key: string]: unknown }

const VOLATILE_METADATA = ['resourceVersion', 'generation', 'managedFields', 'creationTimestamp', 'uid']

function comparable(object: Obj, ignoredAnnotations: readonly string[]): unknown {
  const metadata: Meta = { ...(object.metadata ?? {}) }
  for (const key of VOLATILE_METADATA) delete metadata[key]
  if (metadata.annotations) {
    const annotations = { ...metadata.annotations }
    for (const key of ignoredAnnotations) delete annotations[key]
    metadata.annotations = annotations
    if (Object.keys(annotations).length === 0) delete metadata.annotations
  }
  return { ...object, metadata }
}

/** Deep equality for JSON values, independent of key order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const other = b as unknown[]
    return a.length === other.length && a.every((item, i) => jsonEqual(item, other[i]))
  }
  const keysA = Object.keys(a).filter(k => (a as Record<string, unknown>)[k] !== undefined)
  const keysB = Object.keys(b).filter(k => (b as Record<string, unknown>)[k] !== undefined)
  return (
    keysA.length === keysB.length &&
    keysA.every(k => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  )
}

export function classifyChange(
  dryRun: Obj,
  live: Obj | undefined,
  fieldManager: string,
  ignoredAnnotations: readonly string[]
): ApplyAction {
  if (!live) return 'created'
  // Until we own our fields, applying is not a no-op even when values match.
  const managed = live.metadata?.managedFields?.some(
    f => f.manager === fieldManager && f.operation === 'Apply'
  )
  if (!managed) return 'configured'
  return jsonEqual(comparable(dryRun, ignoredAnnotations), comparable(live, ignoredAnnotations))
    ? 'unchanged'
    : 'configured'
}
