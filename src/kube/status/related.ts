/**
 * Which pods belong to a workload, and which of them run its newest revision.
 * The wait loop lists/watches every pod and ReplicaSet of a namespace once;
 * these pick an object's own out of those lists by owner reference, because
 * label selectors overlap between workloads and across revisions. The same
 * choice decides readiness and which pods' image digests a release records.
 * Pure.
 */
import type {
  V1DaemonSet,
  V1Deployment,
  V1ObjectMeta,
  V1Pod,
  V1ReplicaSet,
  V1StatefulSet
} from '@kubernetes/client-node'
import type { KubeResource, ReadinessContext } from './types.js'

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision'
export const POD_TEMPLATE_HASH = 'pod-template-hash'
export const CONTROLLER_REVISION_HASH = 'controller-revision-hash'
export const POD_TEMPLATE_GENERATION = 'pod-template-generation'
/** apps/v1 keeps a DaemonSet's template generation here; generation also moves on non-template changes. */
export const DAEMONSET_TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation'

interface Owned {
  metadata?: V1ObjectMeta
}

/**
 * True when `object` has an owner reference to `owner`. By uid when the
 * owner's is known (a deleted and re-created owner has the same name); by
 * kind and name for an owner only known from its manifest.
 */
export function ownedBy(object: Owned, owner: KubeResource): boolean {
  const refs = object.metadata?.ownerReferences
  if (!refs?.length) return false
  const uid = owner.metadata?.uid
  if (uid) return refs.some(ref => ref.uid === uid)
  const name = owner.metadata?.name
  return refs.some(ref => ref.name === name && (owner.kind === undefined || ref.kind === owner.kind))
}

function sameNamespace(a: Owned, b: KubeResource): boolean {
  const x = a.metadata?.namespace
  const y = b.metadata?.namespace
  return x === undefined || y === undefined || x === y
}

function revisionOf(rs: V1ReplicaSet): number {
  const value = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION])
  return Number.isFinite(value) ? value : -1
}

/** A Deployment's ReplicaSets, of every revision. */
export function replicaSetsOf(
  deployment: KubeResource,
  replicaSets: readonly V1ReplicaSet[]
): V1ReplicaSet[] {
  return replicaSets.filter(rs => sameNamespace(rs, deployment) && ownedBy(rs, deployment))
}

/**
 * The ReplicaSet of the Deployment's newest revision: the one whose revision
 * annotation equals the Deployment's. Before the controller has annotated the
 * Deployment, the highest revision among its ReplicaSets.
 */
export function newReplicaSet(
  deployment: V1Deployment,
  replicaSets: readonly V1ReplicaSet[]
): V1ReplicaSet | undefined {
  const owned = replicaSetsOf(deployment as KubeResource, replicaSets)
  const revision = deployment.metadata?.annotations?.[REVISION_ANNOTATION]
  if (revision !== undefined)
    return owned.find(rs => rs.metadata?.annotations?.[REVISION_ANNOTATION] === revision)
  return owned.reduce<V1ReplicaSet | undefined>(
    (newest, rs) => (newest === undefined || revisionOf(rs) > revisionOf(newest) ? rs : newest),
    undefined
  )
}

/** Every pod of a workload, whatever its revision: Deployment via its ReplicaSets, the rest directly. */
export function podsOf(
  object: KubeResource,
  context: Pick<ReadinessContext, 'pods' | 'replicaSets'>
): V1Pod[] {
  const pods = context.pods.filter(pod => sameNamespace(pod, object))
  if (object.kind === 'Deployment') {
    const owners = replicaSetsOf(object, context.replicaSets) as KubeResource[]
    return pods.filter(pod => owners.some(rs => ownedBy(pod, rs)))
  }
  return pods.filter(pod => ownedBy(pod, object))
}

/**
 * The pods of the revision being rolled out. Only these can fail a rollout:
 * pods of an older revision being broken is what a rollout may be fixing.
 */
export function currentRevisionPods(
  object: KubeResource,
  context: Pick<ReadinessContext, 'pods' | 'replicaSets'>
): V1Pod[] {
  const pods = podsOf(object, context)
  const label = (pod: V1Pod, name: string) => pod.metadata?.labels?.[name]
  switch (object.kind) {
    case 'Deployment': {
      const rs = newReplicaSet(object as V1Deployment, context.replicaSets)
      if (!rs) return []
      const hash = rs.metadata?.labels?.[POD_TEMPLATE_HASH]
      return pods.filter(pod =>
        hash !== undefined ? label(pod, POD_TEMPLATE_HASH) === hash : ownedBy(pod, rs as KubeResource)
      )
    }
    case 'StatefulSet': {
      const revision = (object as V1StatefulSet).status?.updateRevision
      return revision === undefined
        ? []
        : pods.filter(pod => label(pod, CONTROLLER_REVISION_HASH) === revision)
    }
    case 'DaemonSet': {
      const ds = object as V1DaemonSet
      const generation =
        ds.metadata?.annotations?.[DAEMONSET_TEMPLATE_GENERATION] ?? ds.metadata?.generation?.toString()
      // Pods without the label predate it: nothing to tell them apart by, so they count.
      return pods.filter(pod => {
        const podGeneration = label(pod, POD_TEMPLATE_GENERATION)
        return podGeneration === undefined || generation === undefined || podGeneration === generation
      })
    }
    default:
      return pods
  }
}

/**
 * The pods running what the stage rolled out: the current revision's pods of
 * a workload, a Job's or ReplicaSet's own, a bare Pod itself. Any other pod of
 * the namespace (a debug pod, an old revision's, another workload's) runs
 * something the stage did not roll out.
 */
export function rolledOutPods(
  object: KubeResource,
  context: Pick<ReadinessContext, 'pods' | 'replicaSets'>
): V1Pod[] {
  if (object.kind !== 'Pod') return currentRevisionPods(object, context)
  // By uid once applied: a pod deleted and created again under the name by someone else is not the stage's.
  const uid = object.metadata?.uid
  return context.pods.filter(
    pod =>
      sameNamespace(pod, object) &&
      (uid ? pod.metadata?.uid === uid : pod.metadata?.name === object.metadata?.name)
  )
}
