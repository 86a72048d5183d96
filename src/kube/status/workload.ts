/**
 * The verdict on a workload that is not done yet: failed when a pod of the
 * revision being rolled out is doomed, otherwise in progress, saying which
 * pod holds it up. Pure.
 */
import type { V1ObjectMeta, V1Pod } from '@kubernetes/client-node'
import { describePodProgress, diagnosePod, isPodReady, type DiagnoseOptions } from './pod.js'
import { current, failed, generationPending, inProgress, type Readiness } from './types.js'

/**
 * What StatefulSets and DaemonSets share before their counts mean anything:
 * the controller must have observed the spec, and with OnDelete nothing is
 * rolled out until someone deletes pods, so there is nothing to wait for.
 */
export function rolloutNotStarted(workload: {
  metadata?: V1ObjectMeta
  spec?: { updateStrategy?: { type?: string } }
  status?: { observedGeneration?: number }
}): Readiness | undefined {
  const pending = generationPending(workload.metadata, workload.status?.observedGeneration)
  if (pending) return pending
  if (workload.spec?.updateStrategy?.type === 'OnDelete') {
    return current('update strategy OnDelete: pods take the new revision when deleted')
  }
  return undefined
}

function waitingOn(pod: V1Pod): boolean {
  const phase = pod.status?.phase
  return Boolean(pod.metadata?.deletionTimestamp) || (!isPodReady(pod) && phase !== 'Succeeded')
}

/**
 * `progress` says what the counts are missing ("1 of 3 updated replicas
 * available"); `pods` are the current revision's, the only ones that may fail
 * the workload; `oldPods` only explain a wait (old pods still terminating, or
 * a StatefulSet stuck on an old broken pod).
 */
export function workloadInProgress(
  progress: string,
  pods: readonly V1Pod[],
  oldPods: readonly V1Pod[] = [],
  options: DiagnoseOptions = {}
): Readiness {
  for (const pod of pods) {
    const failure = diagnosePod(pod, options)
    if (failure) return failed(failure)
  }
  const stuck = pods.filter(waitingOn)
  if (stuck.length) {
    const more = stuck.length > 1 ? ` (+${stuck.length - 1} more)` : ''
    return inProgress(`${progress}; ${describePodProgress(stuck[0])}${more}`)
  }
  const old = oldPods.find(waitingOn)
  if (old) return inProgress(`${progress}; old revision ${describePodProgress(old)}`)
  return inProgress(progress)
}

/**
 * Pods the controller cannot create (ReplicaFailure: FailedCreate). Refused by
 * admission (PodSecurity, a webhook) or invalid: doomed. Over quota: doomed
 * unless pods of the namespace are terminating and will give their share back.
 */
export function refusedPods(
  condition: { status?: string; reason?: string; message?: string } | undefined,
  podsOfNamespace: readonly V1Pod[]
): Readiness | undefined {
  if (condition?.status !== 'True' || condition.reason !== 'FailedCreate') return undefined
  // Stryker disable next-line StringLiteral: equivalent, neither pattern below matches the default, whatever it is
  const message = condition.message ?? 'FailedCreate'
  if (/exceeded quota/i.test(message) && podsOfNamespace.some(p => p.metadata?.deletionTimestamp))
    return undefined
  if (!/forbidden|denied|invalid|exceeded quota/i.test(message)) return undefined
  return failed({ code: 'AdmissionDenied', reason: `pods are refused: ${message}` })
}
