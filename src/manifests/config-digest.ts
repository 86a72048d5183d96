/**
 * A workload's pods run the configuration they were started with: a changed
 * ConfigMap or Secret reaches them only when they restart. So each pod template
 * is stamped with a digest of the ConfigMaps and Secrets in this stage that it
 * consumes (env, envFrom, volumes), the practice Helm charts follow by hand with
 * a checksum annotation: a configuration change rolls the workload, and the wait
 * and the smoke checks see the new values. Immutable objects need nothing (their
 * name changes with their content). Pure.
 */
import { canonicalJson, sha256 } from '../canonical.js'
import { displayName, podSpecsOf, podTemplateOf } from './objects.js'
import { findReferences } from './references.js'
import type { KubeObject } from './types.js'

export const CONFIG_DIGEST_ANNOTATION = 'kube-stage.dev/config-digest'

const content = (o: KubeObject) => ({ data: o.data, binaryData: o.binaryData, stringData: o.stringData })

export function stampConfigDigests(objects: KubeObject[]): KubeObject[] {
  const config = new Map(
    objects
      .filter(o => (o.kind === 'ConfigMap' || o.kind === 'Secret') && o.immutable !== true)
      .map(o => [displayName(o), o])
  )
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
    const digest = sha256(canonicalJson(used.map(key => [key, content(config.get(key)!)]))).slice(0, 16)
    const copy = structuredClone(object)
    const template = podTemplateOf(copy, podSpecsOf(copy)[0])
    const metadata = (template.metadata ??= {}) as { annotations?: Record<string, string> }
    metadata.annotations = { ...metadata.annotations, [CONFIG_DIGEST_ANNOTATION]: digest }
    return copy
  })
}
