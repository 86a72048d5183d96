/**
 * The verdict on a workload that is not done yet: failed when a pod of the
 * revision being rolled out is doomed, otherwise in progress, saying which
 * pod holds it up. Pure.
 */
import type { V1Pod } from '@kubernetes/client-node'
import { describePodProgress, diagnosePod, isPodReady, type DiagnoseOptions } from './pod.js'
import { failed, inProgress, type Readiness } from './types.js'

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
