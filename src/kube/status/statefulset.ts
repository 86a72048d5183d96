/**
 * StatefulSet: kubectl rollout status's criteria, except that partition 0
 * (the API server's default) is treated as no partition, so an unfinished
 * rolling update is not reported done. Pure.
 */
import type { V1StatefulSet } from '@kubernetes/client-node'
import { currentRevisionPods, podsOf } from './related.js'
import { current, type KubeResource, type Readiness, type ReadinessContext } from './types.js'
import { rolloutNotStarted, workloadInProgress } from './workload.js'

export function statefulSetReadiness(sts: V1StatefulSet, context: ReadinessContext): Readiness {
  const status = sts.status
  const notStarted = rolloutNotStarted(sts)
  if (notStarted) return notStarted

  const object = { ...sts, kind: 'StatefulSet' } as KubeResource
  const pods = currentRevisionPods(object, context)
  // An old pod that never becomes ready can hold up an OrderedReady rollout: worth naming, never failing.
  const oldPods = podsOf(object, context).filter(pod => !pods.includes(pod))
  const replicas = sts.spec?.replicas ?? 1
  const ready = status?.readyReplicas ?? 0
  const updated = status?.updatedReplicas ?? 0
  const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0

  if (ready < replicas) return workloadInProgress(`${ready} of ${replicas} replicas ready`, pods, oldPods)
  // Scaling down: pods beyond spec.replicas still exist (and may still serve) until the controller removes them.
  const existing = status?.replicas ?? 0
  if (existing > replicas) {
    return workloadInProgress(
      `scaling down: ${existing - replicas} pod(s) beyond ${replicas} replicas still exist`,
      pods,
      oldPods
    )
  }
  if (partition > 0) {
    const target = Math.max(0, replicas - partition)
    if (updated < target) {
      return workloadInProgress(
        `partitioned rollout: ${updated} of ${target} replicas at or above ordinal ${partition} updated`,
        pods,
        oldPods
      )
    }
    return current(
      `partitioned rollout done: ${updated} of ${replicas} replicas updated, partition ${partition}`
    )
  }
  if (status?.currentRevision !== status?.updateRevision) {
    return workloadInProgress(
      `rolling update: ${updated} of ${replicas} replicas at revision ${status?.updateRevision ?? '?'}`,
      pods,
      oldPods
    )
  }
  return current(`${ready} of ${replicas} replicas ready at revision ${status?.updateRevision ?? '?'}`)
}
