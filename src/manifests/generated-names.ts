/**
 * Kustomize's generated ConfigMaps and Secrets carry a hash of their content in
 * their name (shop-config-44bkt5d6f8), so the same generator gives another name
 * in each environment. Comparing stages (parity, the release record) reads them
 * by the name the generator was given. Pure.
 */
import type { KubeObject } from './types.js'

/** The ten characters kustomize appends: hex digits re-encoded to avoid vowels and look-alikes. */
const KUSTOMIZE_HASH_SUFFIX = /-[2456789bcdfghkmt]{10}$/

/** Generated name → the generator's name, for the ConfigMaps and Secrets of a set. */
function generatedNames(objects: readonly KubeObject[]): Map<string, string> {
  const names = new Map<string, string>()
  for (const object of objects) {
    if (object.kind !== 'ConfigMap' && object.kind !== 'Secret') continue
    const name = object.metadata.name
    if (KUSTOMIZE_HASH_SUFFIX.test(name)) names.set(name, name.replace(KUSTOMIZE_HASH_SUFFIX, ''))
  }
  return names
}

function replaced(value: unknown, names: Map<string, string>): unknown {
  if (typeof value === 'string') return names.get(value) ?? value
  if (Array.isArray(value)) return value.map(item => replaced(item, names))
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, replaced(inner, names)]))
}

/**
 * The objects with every generated name, wherever it is used (the object's own
 * name, envFrom, volumes, key references), written as the generator's name.
 * Objects without generated names are returned as they are.
 */
export function withGeneratorNames(objects: KubeObject[]): KubeObject[] {
  const names = generatedNames(objects)
  return names.size === 0 ? objects : (objects.map(object => replaced(object, names)) as KubeObject[])
}
