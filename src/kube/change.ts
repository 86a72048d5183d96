/**
 * Decides, from a server-side dry run and the live object, whether applying
 * would change anything. Pure.
 *
 * Provenance annotations (commit, run URL) differ on every run; if they counted,
 * every object would be "configured" every time and a re-run could never say
 * "unchanged". They are ignored here, and unchanged objects are not re-applied,
 * so they keep pointing at the run that last really changed them.
 */
import { canonicalJson, sha256 } from '../canonical.js'

/**
 * `replaced`: deleted and created again, as an object that cannot be updated in
 * place (a Job's template) is: a new object (new uid, its pods run again), which
 * "configured" would hide.
 */
export type ApplyAction = 'created' | 'configured' | 'replaced' | 'unchanged'

/** The digest of what this stage last applied, kept on the object itself. */
export const APPLIED_HASH_ANNOTATION = 'kube-stage.dev/applied-hash'

interface ManagedFieldsEntry {
  manager?: string
  operation?: string
  subresource?: string
  time?: string
}

interface Meta {
  annotations?: Record<string, string>
  managedFields?: ManagedFieldsEntry[]
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

/** Digest of the desired object, without the annotations that change every run. */
export function appliedHash(object: Obj, volatileAnnotations: readonly string[]): string {
  return sha256(canonicalJson(comparable(object, [...volatileAnnotations, APPLIED_HASH_ANNOTATION]))).slice(
    0,
    32
  )
}

/**
 * True when the live object is exactly what this field manager last applied
 * and nobody has written to it since: its applied-hash annotation matches the
 * desired object, and no other manager's entry (status aside) is newer than
 * ours. Then a dry run and an apply would both be no-ops, and are skipped.
 */
export function unchangedSinceApplied(
  desiredHash: string,
  live: Obj | undefined,
  fieldManager: string
): boolean {
  if (!live || live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] !== desiredHash) return false
  const entries = (live.metadata?.managedFields ?? []).filter(f => f.subresource !== 'status')
  const ours = entries.find(f => f.manager === fieldManager && f.operation === 'Apply')
  if (!ours?.time) return false
  // managedFields times have one-second resolution: a write in the same second is not "before".
  return entries.every(f => f === ours || (f.time !== undefined && f.time < ours.time!))
}
