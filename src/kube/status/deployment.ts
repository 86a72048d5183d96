/**
 * Deployment: done by exactly kubectl rollout status's criteria. Failed on
 * ProgressDeadlineExceeded, and before any deadline when a pod of the new
 * revision is doomed; pods of older revisions never fail a rollout, which may
 * be the fix for them. Pure.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import { describePodProgress, diagnosePod, isPodReady } from './pod.js'
import { currentRevisionPods, newReplicaSet, podsOf } from './related.js'
import {
  conditionText,
  current,
  failed,
  findCondition,
  generationPending,
  plural,
  type KubeResource,
  type Readiness,
  type ReadinessContext
} from './types.js'
import { refusedPods, workloadInProgress } from './workload.js'

/**
 * A rollout back to an older ReplicaSet (a fix, a rollback) is observed before
 * the controller clears the previous rollout's ProgressDeadlineExceeded: the
 * condition names the ReplicaSet that timed out, so one naming another than
 * the current new ReplicaSet is about a rollout that is over.
 */
function staleDeadline(message: string | undefined, newReplicaSetName: string | undefined): boolean {
  // Stryker disable next-line StringLiteral: equivalent, no string without 'ReplicaSet "' matches, so any default does
  const named = /ReplicaSet "([^"]+)"/.exec(message ?? '')?.[1]
  return named !== undefined && newReplicaSetName !== undefined && named !== newReplicaSetName
}

export function deploymentReadiness(deployment: V1Deployment, context: ReadinessContext): Readiness {
  const status = deployment.status ?? {}
  // Until observed, the revision annotation (and so "the new pods") is still the previous rollout's.
  const pending = generationPending(deployment.metadata, status.observedGeneration)
  if (pending) return pending

  const object = { ...deployment, kind: 'Deployment' } as KubeResource
  const pods = currentRevisionPods(object, context)
  // Stryker disable next-line MethodExpression: equivalent, oldPods are searched only when no current pod is waited on, so current ones among them change nothing
  const oldPods = podsOf(object, context).filter(pod => !pods.includes(pod))

  const progressing = findCondition(status.conditions, 'Progressing')
  if (
    progressing?.status === 'False' &&
    progressing.reason === 'ProgressDeadlineExceeded' &&
    !staleDeadline(progressing.message, newReplicaSet(deployment, context.replicaSets)?.metadata?.name)
  ) {
    // A doomed pod names the cause; the deadline only says there is one.
    for (const pod of pods) {
      const failure = diagnosePod(pod)
      if (failure) return failed(failure)
    }
    const stuck = pods.find(pod => !pod.metadata?.deletionTimestamp && !isPodReady(pod))
    const seconds = deployment.spec?.progressDeadlineSeconds
    return failed({
      code: 'ProgressDeadline',
      pod: stuck?.metadata?.name,
      reason:
        `rollout exceeded its progress deadline${seconds !== undefined ? ` of ${seconds}s` : ''}` +
        `${progressing.message ? ` (${progressing.message})` : ''}` +
        `${stuck ? `; ${describePodProgress(stuck)}` : ''}`
    })
  }

  const replicas = deployment.spec?.replicas ?? 1
  const updated = status.updatedReplicas ?? 0
  const total = status.replicas ?? 0
  const available = status.availableReplicas ?? 0
  const replicaFailure = findCondition(status.conditions, 'ReplicaFailure')
  const refused = refusedPods(replicaFailure, context.pods)
  if (refused) return refused
  const blocked = replicaFailure?.status === 'True' ? ` (${conditionText(replicaFailure)})` : ''
  const paused = deployment.spec?.paused ? 'rollout paused: ' : ''

  if (updated < replicas) {
    return workloadInProgress(`${paused}${updated} of ${replicas} replicas updated${blocked}`, pods, oldPods)
  }
  if (total > updated) {
    return workloadInProgress(
      `${paused}waiting for ${plural(total - updated, 'old replica')} to terminate${blocked}`,
      pods,
      oldPods
    )
  }
  if (available < updated) {
    const minReady = deployment.spec?.minReadySeconds
      ? ` (minReadySeconds ${deployment.spec.minReadySeconds})`
      : ''
    return workloadInProgress(
      `${paused}${available} of ${updated} updated replicas available${minReady}`,
      pods,
      oldPods
    )
  }
  return current(
    replicas === 0 ? 'scaled to 0 replicas' : `${available} of ${plural(replicas, 'replica')} available`
  )
}
