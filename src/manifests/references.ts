/**
 * The Secrets and ConfigMaps that pod specs use, and the two ways such a
 * reference goes wrong before anything runs: it does not exist, or it is named
 * for another environment (db-credentials-dev in production). Pure.
 */
import { StageError } from '../errors.js'
import { foreignEnvironmentIn } from '../environments.js'
import { containersOf, displayName, podSpecsOf } from './objects.js'
import type { KubeObject } from './types.js'

export interface ConfigReference {
  kind: 'Secret' | 'ConfigMap'
  name: string
  optional: boolean
  usedBy: string
  field: string
}

type Any = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

export function findReferences(objects: KubeObject[]): ConfigReference[] {
  const refs: ConfigReference[] = []
  for (const object of objects) {
    const usedBy = displayName(object)
    const add = (
      kind: ConfigReference['kind'],
      name: string | undefined,
      optional: boolean | undefined,
      field: string
    ) => {
      if (name) refs.push({ kind, name, optional: optional === true, usedBy, field })
    }
    for (const at of podSpecsOf(object)) {
      const spec = at.spec as Any
      spec.imagePullSecrets?.forEach((s: Any, i: number) =>
        add('Secret', s.name, false, `${at.path}.imagePullSecrets[${i}]`)
      )
      spec.volumes?.forEach((v: Any, i: number) => {
        const path = `${at.path}.volumes[${i}]`
        add('Secret', v.secret?.secretName, v.secret?.optional, `${path}.secret`)
        add('ConfigMap', v.configMap?.name, v.configMap?.optional, `${path}.configMap`)
        v.projected?.sources?.forEach((s: Any, j: number) => {
          add('Secret', s.secret?.name, s.secret?.optional, `${path}.projected.sources[${j}].secret`)
          add(
            'ConfigMap',
            s.configMap?.name,
            s.configMap?.optional,
            `${path}.projected.sources[${j}].configMap`
          )
        })
      })
      for (const { container, path } of containersOf(at)) {
        const c = container as Any
        c.env?.forEach((e: Any, i: number) => {
          add(
            'Secret',
            e.valueFrom?.secretKeyRef?.name,
            e.valueFrom?.secretKeyRef?.optional,
            `${path}.env[${i}].valueFrom.secretKeyRef`
          )
          add(
            'ConfigMap',
            e.valueFrom?.configMapKeyRef?.name,
            e.valueFrom?.configMapKeyRef?.optional,
            `${path}.env[${i}].valueFrom.configMapKeyRef`
          )
        })
        c.envFrom?.forEach((e: Any, i: number) => {
          add('Secret', e.secretRef?.name, e.secretRef?.optional, `${path}.envFrom[${i}].secretRef`)
          add(
            'ConfigMap',
            e.configMapRef?.name,
            e.configMapRef?.optional,
            `${path}.envFrom[${i}].configMapRef`
          )
        })
      }
    }
  }
  return refs
}

export interface ReferenceProblem {
  code: 'MissingReference' | 'CrossEnvironmentReference'
  message: string
}

export interface ReferenceCheck {
  /** "Secret/name" and "ConfigMap/name" defined in the manifest set. */
  inManifests: Set<string>
  /** The same, already in the namespace. */
  inCluster: Set<string>
  environment: string
  environmentNames: readonly string[]
}

export function checkReferences(
  objects: KubeObject[],
  refs: ConfigReference[],
  check: ReferenceCheck
): ReferenceProblem[] {
  const problems: ReferenceProblem[] = []
  const seen = new Set<string>()
  for (const ref of refs) {
    const key = `${ref.kind}/${ref.name}`
    const foreign = foreignEnvironmentIn(ref.name, check.environment, check.environmentNames)
    if (foreign && !seen.has(`foreign:${key}:${ref.usedBy}`)) {
      seen.add(`foreign:${key}:${ref.usedBy}`)
      problems.push({
        code: 'CrossEnvironmentReference',
        message: `${ref.usedBy} uses ${ref.kind} ${ref.name}, which is named for environment ${foreign}, in stage ${check.environment} (${ref.field})`
      })
    }
    if (
      !ref.optional &&
      !check.inManifests.has(key) &&
      !check.inCluster.has(key) &&
      !seen.has(`missing:${key}:${ref.usedBy}`)
    ) {
      seen.add(`missing:${key}:${ref.usedBy}`)
      problems.push({
        code: 'MissingReference',
        message: `${ref.usedBy} needs ${ref.kind} ${ref.name}, which is neither in the manifests nor in the namespace (${ref.field})`
      })
    }
  }
  for (const object of objects) {
    if (object.kind !== 'Secret' && object.kind !== 'ConfigMap') continue
    const foreign = foreignEnvironmentIn(object.metadata.name, check.environment, check.environmentNames)
    if (foreign) {
      problems.push({
        code: 'CrossEnvironmentReference',
        message: `${displayName(object)} is named for environment ${foreign} but is part of stage ${check.environment}`
      })
    }
  }
  return problems
}

/** One error listing every problem; the code is the first problem's (a foreign name is the graver). */
export function referenceError(problems: ReferenceProblem[]): StageError {
  const sorted = [...problems].sort((a, b) =>
    a.code === b.code ? 0 : a.code === 'CrossEnvironmentReference' ? -1 : 1
  )
  return new StageError(
    sorted[0].code,
    `${problems.length} Secret/ConfigMap reference problem(s); nothing was applied. ${sorted[0].message}.`,
    { details: sorted.map(p => p.message) }
  )
}
