/**
 * Parity between this stage's rendered configuration and the release record of
 * the stage before it: the "feature flag on in staging, off in production"
 * check. Names and values that merely carry each stage's own environment name
 * (APP_ENV=staging vs production, db-credentials-staging vs -production)
 * compare equal; everything else that differs is reported, and declared
 * expected differences are marked as such. Pure.
 */
import { normalizeEnvironmentTokens, foreignEnvironmentIn } from '../environments.js'
import { underField, type ConfigFingerprint, type ReleaseRecord } from './release.js'

export type ParityKind =
  | 'changed'
  | 'only-upstream'
  | 'only-here'
  | 'foreign-environment'
  | 'object-changed'
  | 'field-changed'
  /** Informational: how long a pre-deploy Job took upstream, beside its budget here. */
  | 'duration'

export interface ParityDifference {
  /** e.g. ConfigMap/shop-config/FEATURE_NEW_CHECKOUT, env/Deployment/shop:shop/LOG_LEVEL, Secret/db-credentials-{env} */
  path: string
  kind: ParityKind
  upstream?: string
  here?: string
  expected: boolean
  message: string
  /** The object a field difference is in, for grouping. */
  object?: string
  /** What to add to parity-expected to declare the difference expected. */
  declareWith?: string
}

export interface ParityOptions {
  environment: string
  environmentNames: readonly string[]
  /** Glob-like paths (`*` matches one segment) of differences that are expected. */
  expected: readonly string[]
  /**
   * Manifest fields left out on both sides: those either stage declared per-environment. The
   * upstream record's digests were made without only its own; its per-field values let them agree.
   */
  ignoredFields?: readonly string[]
}

type Flat = Map<string, string>

function flatten(config: ConfigFingerprint, environment: string, environmentNames: readonly string[]): Flat {
  const flat: Flat = new Map()
  const norm = (text: string) => normalizeEnvironmentTokens(text, environment, environmentNames)
  for (const [name, data] of Object.entries(config.configMaps)) {
    for (const [key, value] of Object.entries(data)) flat.set(`ConfigMap/${norm(name)}/${key}`, norm(value))
  }
  for (const [container, vars] of Object.entries(config.env)) {
    for (const [name, value] of Object.entries(vars)) flat.set(`env/${container}/${name}`, norm(value))
  }
  for (const secret of config.secrets) flat.set(`Secret/${norm(secret)}`, 'referenced')
  return flat
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.split('*').map(part => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${escaped.join('[^/]*')}$`)
}

export function isExpected(path: string, expected: readonly string[]): boolean {
  return expected.some(pattern => globToRegExp(pattern).test(path))
}

export function compareParity(
  upstream: ReleaseRecord,
  here: ConfigFingerprint,
  hereObjects: Record<string, string>,
  options: ParityOptions,
  hereFields: Record<string, Record<string, string>> = {}
): ParityDifference[] {
  const before = flatten(upstream.config, upstream.environment, options.environmentNames)
  const now = flatten(here, options.environment, options.environmentNames)
  const differences: ParityDifference[] = []
  const add = (d: Omit<ParityDifference, 'expected'>) =>
    differences.push({
      ...d,
      // Configuration paths are declared as they are; object fields by their field path.
      declareWith: d.declareWith ?? (d.kind === 'object-changed' ? undefined : d.path),
      expected: isExpected(d.path, options.expected)
    })
  const up = upstream.environment
  const env = options.environment

  for (const [path, value] of now) {
    const previous = before.get(path)
    if (previous === undefined) {
      add({
        path,
        kind: 'only-here',
        here: value,
        message: `${path} is set in ${env} (${value}) but not in ${up}`
      })
    } else if (previous !== value) {
      add({
        path,
        kind: 'changed',
        upstream: previous,
        here: value,
        message: `${path} is ${previous} in ${up} but ${value} in ${env}`
      })
    }
  }
  for (const [path, value] of before) {
    if (!now.has(path))
      add({
        path,
        kind: 'only-upstream',
        upstream: value,
        message: `${path} is set in ${up} (${value}) but missing in ${env}`
      })
  }
  for (const secret of here.secrets) {
    const foreign = foreignEnvironmentIn(secret, env, options.environmentNames)
    if (foreign) {
      differences.push({
        path: `Secret/${secret}`,
        kind: 'foreign-environment',
        here: secret,
        expected: false,
        message: `${env} uses Secret ${secret}, which is named for environment ${foreign}`
      })
    }
  }
  for (const [object, digest] of Object.entries(hereObjects)) {
    const previous = upstream.objectDigests[object]
    if (previous === undefined || previous === digest) continue
    const ignored = options.ignoredFields ?? []
    const before = upstream.objectFields?.[object] && withoutFields(upstream.objectFields[object], ignored)
    const now = hereFields[object] && withoutFields(hereFields[object], ignored)
    const changed = before && now ? changedFields(before, now) : []
    // Only fields either stage declared per-environment differ: nothing to report.
    if (before && now && changed.length === 0) continue
    if (changed.length === 0) {
      add({
        path: `object/${object}`,
        kind: 'object-changed',
        upstream: previous,
        here: digest,
        object,
        message: `${object} differs from ${up} beyond the declared per-environment fields (the ${up} record does not say which field)`
      })
      continue
    }
    for (const field of changed) {
      const was = before![field] ?? 'absent'
      const is = now![field] ?? 'absent'
      add({
        path: `object/${object}/${field}`,
        kind: 'field-changed',
        upstream: was,
        here: is,
        object,
        declareWith: field,
        message: `${object}: ${field} is ${was} in ${up} but ${is} in ${env} (declare it with parity-expected: ${field})`
      })
    }
  }
  return differences
}

function withoutFields(fields: Record<string, string>, ignored: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([path]) => !underField(path, ignored)))
}

/** Field paths whose values differ between two objects' field maps, sorted. */
function changedFields(before: Record<string, string>, now: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(now)])].filter(f => before[f] !== now[f]).sort()
}
