/**
 * Readiness of any applied object: one pure rule per kind, chosen by API
 * group and kind, plus what to say when the wait times out.
 */
import type {
  V1CustomResourceDefinition,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1PersistentVolumeClaim,
  V1Pod,
  V1ReplicaSet,
  V1Service,
  V1StatefulSet
} from '@kubernetes/client-node'
import { crdReadiness } from './crd.js'
import { daemonSetReadiness } from './daemonset.js'
import { deploymentReadiness } from './deployment.js'
import { genericReadiness } from './generic.js'
import { jobReadiness } from './job.js'
import { podReadiness } from './pod-rule.js'
import { pvcReadiness } from './pvc.js'
import { replicaSetReadiness } from './replicaset.js'
import { serviceReadiness } from './service.js'
import { statefulSetReadiness } from './statefulset.js'
import { inProgress, type KubeResource, type Readiness, type ReadinessContext } from './types.js'

export type {
  Condition,
  KubeResource,
  Readiness,
  ReadinessContext,
  ReadinessState,
  ResourceFailure
} from './types.js'
export { describePodProgress, diagnosePod, isPodReady, type DiagnoseOptions } from './pod.js'
export {
  currentRevisionPods,
  newReplicaSet,
  ownedBy,
  podsOf,
  replicaSetsOf,
  rolledOutPods
} from './related.js'
export {
  crdReadiness,
  daemonSetReadiness,
  deploymentReadiness,
  genericReadiness,
  jobReadiness,
  podReadiness,
  pvcReadiness,
  replicaSetReadiness,
  serviceReadiness,
  statefulSetReadiness
}

type Rule = (object: KubeResource, context: ReadinessContext) => Readiness

/** Keyed "group/Kind"; the core group is "". */
const RULES: Record<string, Rule> = {
  'apps/Deployment': (o, c) => deploymentReadiness(o as V1Deployment, c),
  'apps/StatefulSet': (o, c) => statefulSetReadiness(o as V1StatefulSet, c),
  'apps/DaemonSet': (o, c) => daemonSetReadiness(o as V1DaemonSet, c),
  'apps/ReplicaSet': (o, c) => replicaSetReadiness(o as V1ReplicaSet, c),
  'batch/Job': (o, c) => jobReadiness(o as V1Job, c),
  '/Pod': o => podReadiness(o as V1Pod),
  '/PersistentVolumeClaim': (o, c) => pvcReadiness(o as V1PersistentVolumeClaim, c),
  '/Service': (o, c) => serviceReadiness(o as V1Service, c),
  'apiextensions.k8s.io/CustomResourceDefinition': o => crdReadiness(o as V1CustomResourceDefinition)
}

function groupOf(apiVersion: string | undefined): string {
  const slash = apiVersion?.indexOf('/') ?? -1
  return slash === -1 ? '' : apiVersion!.slice(0, slash)
}

export function readinessOf(object: KubeResource, context: ReadinessContext): Readiness {
  // An object being deleted (say, held by a finalizer since an earlier stage) is about to be gone.
  if (object.metadata?.deletionTimestamp) {
    const finalizers = object.metadata.finalizers ?? []
    return inProgress(
      `being deleted${finalizers.length ? ` (waiting for finalizers: ${finalizers.join(', ')})` : ''}`
    )
  }
  const rule = RULES[`${groupOf(object.apiVersion)}/${object.kind}`] ?? genericReadiness
  return rule(object, context)
}

export interface JudgedResource {
  object: KubeResource
  readiness: Readiness
}

/**
 * One line per resource that is not ready, for the timeout error:
 * "Deployment/web: 2 of 3 replicas available; pod web-7d9: not ready (…)".
 * Namespaces are named only when the resources span more than one.
 */
export function describeTimeout(resources: readonly JudgedResource[]): string[] {
  // Cluster-scoped objects (the stage's Namespace itself) have none and do not make a second one.
  const namespaces = new Set(resources.map(r => r.object.metadata?.namespace).filter(Boolean))
  return resources
    .filter(r => r.readiness.state !== 'Current')
    .map(({ object, readiness }) => {
      const namespace =
        namespaces.size > 1 && object.metadata?.namespace ? ` in ${object.metadata.namespace}` : ''
      return `${object.kind ?? 'Object'}/${object.metadata?.name ?? '?'}${namespace}: ${readiness.message}`
    })
}
