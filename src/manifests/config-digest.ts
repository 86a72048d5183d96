/**
 * A workload's pods run the configuration they were started with: a changed
 * ConfigMap or Secret reaches them only when they restart. So each pod template
 * is stamped with a digest of the ConfigMaps and Secrets in this stage that it
 * consumes (env, envFrom, volumes), the practice Helm charts follow by hand with
 * a checksum annotation: a configuration change rolls the workload, and the wait
 * and the smoke checks see the new values. Immutable objects need nothing (their
 * name changes with their content). A Secret that a producer makes
 * (ExternalSecret, SealedSecret, Certificate) counts with the data it holds
 * (`produced`), so a value rotated behind an ExternalSecret rolls the pods too. Pure.
 */
import { canonicalJson, sha256 } from '../canonical.js'
import { displayName, podSpecsOf, podTemplateOf } from './objects.js'
import { findReferences } from './references.js'
import type { KubeObject } from './types.js'

export const CONFIG_DIGEST_ANNOTATION = 'kube-stage.dev/config-digest'

const content = (o: KubeObject) => ({ data: o.data, binaryData: o.binaryData, stringData: o.stringData })

export function stampConfigDigests(
  objects: KubeObject[],
  produced: ReadonlyMap<string, Record<string, string>> = new Map()
): KubeObject[] {
  const config = new Map<string, unknown>([
    ...[...produced].map(([name, data]) => [`Secret/${name}`, { data }] as const),
    ...objects
      .filter(o => (o.kind === 'ConfigMap' || o.kind === 'Secret') && o.immutable !== true)
      .map(o => [displayName(o), content(o)] as const)
  ])
  if (config.size === 0) return objects
  const references = findReferences(objects)
  return objects.map(object => {
    const [at] = podSpecsOf(object)
    if (!at || object.kind === 'Pod') return object
    const used = [
      ...new Set(
        references
          .filter(r => r.usedBy === displayName(object) && !r.field.includes('imagePullSecrets'))
          .map(r => `${r.kind}/${r.name}`)
      )
    ]
      .filter(key => config.has(key))
      .sort()
    if (used.length === 0) return object
    const digest = sha256(canonicalJson(used.map(key => [key, config.get(key)]))).slice(0, 16)
    return withTemplateDigest(object, digest)
  })
}

/** The config digest stamped on an object's pod template, if any. */
export function templateDigest(object: KubeObject | undefined): string | undefined {
  const at = object && podSpecsOf(object)[0]
  if (!object || !at) return undefined
  const metadata = podTemplateOf(object, at).metadata as { annotations?: Record<string, string> } | undefined
  return metadata?.annotations?.[CONFIG_DIGEST_ANNOTATION]
}

/** A copy of the object with its pod template's config digest set (removed when undefined). */
export function withTemplateDigest(object: KubeObject, digest: string | undefined): KubeObject {
  const copy = structuredClone(object)
  const at = podSpecsOf(copy)[0]
  if (!at) return copy
  const template = podTemplateOf(copy, at)
  const metadata = (template.metadata ??= {}) as { annotations?: Record<string, string> }
  const annotations = { ...metadata.annotations }
  if (digest === undefined) delete annotations[CONFIG_DIGEST_ANNOTATION]
  else annotations[CONFIG_DIGEST_ANNOTATION] = digest
  metadata.annotations = annotations
  return copy
}
