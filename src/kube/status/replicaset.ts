/** A ReplicaSet applied on its own (one owned by a Deployment is judged through it). Pure. */
import type { V1ReplicaSet } from '@kubernetes/client-node'
import { podsOf } from './related.js'
import {
  conditionText,
  current,
  findCondition,
  generationPending,
  plural,
  type KubeResource,
  type Readiness,
  type ReadinessContext
} from './types.js'
import { refusedPods, workloadInProgress } from './workload.js'

export function replicaSetReadiness(rs: V1ReplicaSet, context: ReadinessContext): Readiness {
  const status = rs.status
  const pending = generationPending(rs.metadata, status?.observedGeneration)
  if (pending) return pending

  const pods = podsOf({ ...rs, kind: 'ReplicaSet' } as KubeResource, context)
  const replicas = rs.spec?.replicas ?? 1
  const ready = status?.readyReplicas ?? 0
  const available = status?.availableReplicas ?? 0
  const total = status?.replicas ?? 0
  const replicaFailure = findCondition(status?.conditions, 'ReplicaFailure')
  const refused = refusedPods(replicaFailure, context.pods)
  if (refused) return refused
  const blocked = replicaFailure?.status === 'True' ? ` (${conditionText(replicaFailure)})` : ''

  if (ready < replicas) return workloadInProgress(`${ready} of ${replicas} replicas ready${blocked}`, pods)
  if (available < replicas) return workloadInProgress(`${available} of ${replicas} replicas available`, pods)
  if (total > replicas) {
    return workloadInProgress(`waiting for ${plural(total - replicas, 'extra replica')} to terminate`, pods)
  }
  return current(
    replicas === 0 ? 'scaled to 0 replicas' : `${available} of ${plural(replicas, 'replica')} available`
  )
}
