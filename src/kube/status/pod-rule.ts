/** A Pod applied on its own. Pure. */
import type { V1Pod } from '@kubernetes/client-node'
import { describePodProgress, diagnosePod, isPodReady } from './pod.js'
import { current, failed, inProgress, type Readiness } from './types.js'

export function podReadiness(pod: V1Pod): Readiness {
  // Ran to completion (what restartPolicy Never/OnFailure pods are for): done, not "not ready".
  if (pod.status?.phase === 'Succeeded') return current('completed')
  // Nothing replaces or retries a bare pod: a crash loop or a Failed phase is final.
  const failure = diagnosePod(pod, { crashesAreRetried: false, failedPodsAreReplaced: false })
  if (failure) return failed(failure)
  if (isPodReady(pod)) return current('ready')
  return inProgress(describePodProgress(pod))
}
