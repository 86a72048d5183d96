/**
 * Puts the manifest set into the stage's namespace and adds provenance. Pure:
 * returns new objects. Objects naming another namespace and cluster-scoped
 * objects are refused unless allowed, all violations listed at once.
 */
import { StageError } from '../errors.js'
import { cloneObject, displayName } from './objects.js'
import type { KubeObject } from './types.js'

export interface TransformOptions {
  namespace: string
  allowOtherNamespaces: boolean
  allowClusterScoped: boolean
  /** From discovery; undefined when the cluster does not know the kind (yet). */
  isClusterScoped: (apiVersion: string, kind: string) => boolean | undefined
  labels: Record<string, string>
  annotations: Record<string, string>
}

const KNOWN_CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'CSIDriver',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding'
])

function clusterScoped(object: KubeObject, options: TransformOptions): boolean {
  return options.isClusterScoped(object.apiVersion, object.kind) ?? KNOWN_CLUSTER_SCOPED.has(object.kind)
}

export function transformManifests(objects: KubeObject[], options: TransformOptions): KubeObject[] {
  const violations: string[] = []
  const result = objects.map(original => {
    const object = cloneObject(original)
    if (clusterScoped(object, options)) {
      if (!options.allowClusterScoped) {
        violations.push(
          `${displayName(object)} is cluster-scoped: set allow-cluster-scoped: true to apply it from a stage`
        )
      }
      if (object.metadata.namespace) {
        violations.push(
          `${displayName(object)} is cluster-scoped but names namespace ${object.metadata.namespace}`
        )
      }
    } else if (object.metadata.namespace && object.metadata.namespace !== options.namespace) {
      if (!options.allowOtherNamespaces) {
        violations.push(
          `${displayName(object)} names namespace ${object.metadata.namespace}, not the stage's ${options.namespace}: remove metadata.namespace, or set allow-other-namespaces: true`
        )
      }
    } else {
      object.metadata.namespace = options.namespace
    }
    // Labels and annotations go on the object only: changing a pod template's
    // metadata would restart every pod on every run, even with nothing changed.
    object.metadata.labels = { ...object.metadata.labels, ...options.labels }
    object.metadata.annotations = { ...object.metadata.annotations, ...options.annotations }
    return object
  })
  if (violations.length > 0) {
    throw new StageError(
      'ScopeViolation',
      `${violations.length} object(s) reach outside namespace ${options.namespace}; nothing was applied.`,
      {
        details: violations
      }
    )
  }
  return result
}
