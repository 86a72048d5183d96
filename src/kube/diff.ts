/**
 * What applying would change in one object, field by field: the server's
 * dry-run result against the live object, as a reviewer reads it on a pull
 * request. Bookkeeping the server or the stage writes every time (managed
 * fields, resource version, generation, status, the provenance and digest
 * annotations) is left out, and every value under a Secret's data or
 * stringData is masked, as is kubectl's last-applied copy of a Secret. Pure.
 */
import { REDACTED } from '../redact.js'

export interface FieldChange {
  /** `spec.replicas`, `spec.template.spec.containers[name=shop].image`, `metadata.labels["app.kubernetes.io/name"]` */
  path: string
  /** Absent when the field is new. */
  before?: unknown
  /** Absent when the field goes away. */
  after?: unknown
}

export interface DiffOptions {
  /** Annotations left out wherever they are (metadata, pod templates): they change every run or follow other changes. */
  ignoredAnnotations: readonly string[]
}

type Json = unknown
type JsonObject = Record<string, Json>

const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'uid',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds'
]

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'
const SECRET_FIELDS = ['data', 'stringData']

const isObject = (value: Json): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A map key as a path segment: `.name` when it is a plain word, `["a.b/c"]` otherwise. */
function segment(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
}

/** Drops the ignored annotations of any `annotations` map, at any depth (pod templates have their own). */
function withoutAnnotations(value: Json, ignored: ReadonlySet<string>): Json {
  if (Array.isArray(value)) return value.map(v => withoutAnnotations(v, ignored))
  if (!isObject(value)) return value
  const out: JsonObject = {}
  for (const [key, child] of Object.entries(value)) {
    if (key === 'annotations' && isObject(child)) {
      const kept = Object.fromEntries(Object.entries(child).filter(([k]) => !ignored.has(k)))
      if (Object.keys(kept).length > 0) out[key] = kept
    } else out[key] = withoutAnnotations(child, ignored)
  }
  return out
}

function comparable(object: JsonObject, ignored: ReadonlySet<string>): JsonObject {
  const rest = { ...object }
  delete rest.status
  const metadata = { ...((rest.metadata as JsonObject | undefined) ?? {}) }
  for (const key of SERVER_METADATA) delete metadata[key]
  return withoutAnnotations({ ...rest, metadata }, ignored) as JsonObject
}

/** Items matched by name when every item of both lists has a distinct one (containers, ports, env, volumes). */
function names(list: Json[]): string[] | undefined {
  const result = list.map(item => (isObject(item) && typeof item.name === 'string' ? item.name : undefined))
  if (result.some(n => n === undefined) || new Set(result).size !== result.length) return undefined
  return result as string[]
}

function walk(before: Json, after: Json, path: string, out: FieldChange[]): void {
  if (before === undefined && after === undefined) return
  if (before === undefined) return void out.push({ path, after })
  if (after === undefined) return void out.push({ path, before })
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
    for (const key of keys) walk(before[key], after[key], `${path}${segment(key)}`, out)
    return
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const beforeNames = names(before)
    const afterNames = names(after)
    if (beforeNames && afterNames) {
      const byName = (list: Json[], keys: string[]) => new Map(keys.map((k, i) => [k, list[i]]))
      const b = byName(before, beforeNames)
      const a = byName(after, afterNames)
      const order = [...beforeNames, ...afterNames.filter(n => !b.has(n))]
      for (const name of order) walk(b.get(name), a.get(name), `${path}[name=${name}]`, out)
      return
    }
    for (let i = 0; i < Math.max(before.length, after.length); i++)
      walk(before[i], after[i], `${path}[${i}]`, out)
    return
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ path, before, after })
}

/** Every string, number or boolean inside a value replaced by the mask; keys (a Secret's key names) stay. */
function maskDeep(value: Json): Json {
  if (value === undefined) return undefined
  if (Array.isArray(value)) return value.map(maskDeep)
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v)]))
  return REDACTED
}

function isSecretValue(kind: string, path: string): boolean {
  if (kind !== 'Secret') return false
  return (
    SECRET_FIELDS.some(
      field => path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[`)
    ) ||
    path === `metadata.annotations[${JSON.stringify(LAST_APPLIED)}]` ||
    path === 'metadata.annotations' ||
    path === 'metadata'
  )
}

/**
 * The fields that differ between the live object and what the server would
 * store, in path order. No live object: nothing to compare (it is created).
 */
export function fieldDiff(
  live: JsonObject | undefined,
  preview: JsonObject,
  options: DiffOptions
): FieldChange[] {
  if (!live) return []
  const ignored = new Set(options.ignoredAnnotations)
  const out: FieldChange[] = []
  const before = comparable(live, ignored)
  const after = comparable(preview, ignored)
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter(k => k !== 'apiVersion' && k !== 'kind')
    .sort()
  for (const key of keys) walk(before[key], after[key], key, out)
  const kind = String(preview.kind ?? live.kind ?? '')
  return out.map(change =>
    isSecretValue(kind, change.path)
      ? {
          path: change.path,
          ...(change.before !== undefined ? { before: maskDeep(change.before) } : {}),
          ...(change.after !== undefined ? { after: maskDeep(change.after) } : {})
        }
      : change
  )
}
