/**
 * The plan of a stage, per object: created, changed (with the fields that
 * change), unchanged, or pruned. What the `plan` output and the summary's plan
 * are made of, with every value masked (Secrets), redacted (the stage's
 * credentials) and cut to a size a job output and a summary can hold. Pure.
 */
import type { ApplyAction } from '../kube/change.js'
import { fieldDiff, type FieldChange } from '../kube/diff.js'
import type { KubeObject } from '../manifests/types.js'
import { redactJson } from '../redact.js'

export type PlanAction = 'created' | 'changed' | 'unchanged' | 'pruned'

export interface PlanEntry {
  kind: string
  name: string
  namespace?: string
  action: PlanAction
  /** For changed objects: each field that changes (empty when only field ownership changes). */
  fields?: FieldChange[]
}

export interface PlanOptions {
  ignoredAnnotations: readonly string[]
  /** The stage's credentials: never shown, wherever they appear. */
  secrets: readonly string[]
}

/** A value longer than this (as JSON) is cut: a whole file in a ConfigMap is not what a reviewer reads. */
export const VALUE_MAX_CHARS = 500
/** The `plan` output stays well below GitHub's 1 MB per job output. */
export const PLAN_MAX_BYTES = 256 * 1024

const ACTION: Record<ApplyAction, PlanAction> = {
  created: 'created',
  configured: 'changed',
  // The plan says what changes in the spec; that it is deleted and created again is the apply's.
  replaced: 'changed',
  unchanged: 'unchanged'
}

function shown(value: unknown, secrets: readonly string[]): unknown {
  if (value === undefined) return undefined
  const clean = redactJson(value, secrets)
  const text = typeof clean === 'string' ? clean : JSON.stringify(clean)
  if (text.length <= VALUE_MAX_CHARS) return clean
  return `${text.slice(0, VALUE_MAX_CHARS)}… (${text.length - VALUE_MAX_CHARS} more characters)`
}

function identity(
  object: Pick<KubeObject, 'kind' | 'metadata'>
): Pick<PlanEntry, 'kind' | 'name' | 'namespace'> {
  return { kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace }
}

/** One planned object: its action, and for a change, the fields (server dry run against the live object). */
export function planEntry(
  planned: { object: KubeObject; live?: KubeObject; preview?: KubeObject; action: ApplyAction },
  options: PlanOptions
): PlanEntry {
  const action = ACTION[planned.action]
  if (action !== 'changed') return { ...identity(planned.object), action }
  const fields = planned.preview
    ? fieldDiff(planned.live, planned.preview, { ignoredAnnotations: options.ignoredAnnotations })
    : []
  return {
    ...identity(planned.object),
    action,
    fields: fields.map(f => ({
      path: f.path,
      ...(f.before !== undefined ? { before: shown(f.before, options.secrets) } : {}),
      ...(f.after !== undefined ? { after: shown(f.after, options.secrets) } : {})
    }))
  }
}

export function prunedEntry(object: Pick<KubeObject, 'kind' | 'metadata'>): PlanEntry {
  return { ...identity(object), action: 'pruned' }
}

/**
 * The plan as it fits the output: whole; else without the values (the paths
 * say what changes); else without the fields. `omitted` says which.
 */
export function fitPlan(
  entries: PlanEntry[],
  limit = PLAN_MAX_BYTES
): { entries: PlanEntry[]; omitted?: 'values' | 'fields' } {
  const size = (list: PlanEntry[]) => Buffer.byteLength(JSON.stringify(list))
  if (size(entries) <= limit) return { entries }
  const paths = entries.map(e => (e.fields ? { ...e, fields: e.fields.map(f => ({ path: f.path })) } : e))
  if (size(paths) <= limit) return { entries: paths, omitted: 'values' }
  const bare = entries.map(e => {
    const copy = { ...e }
    delete copy.fields
    return copy
  })
  return { entries: bare, omitted: 'fields' }
}

export function planCounts(entries: PlanEntry[]): Record<PlanAction, number> {
  const counts: Record<PlanAction, number> = { created: 0, changed: 0, unchanged: 0, pruned: 0 }
  for (const entry of entries) counts[entry.action]++
  return counts
}
