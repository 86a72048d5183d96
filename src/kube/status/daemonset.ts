/** DaemonSet: kubectl rollout status's criteria. Pure. */
import type { V1DaemonSet } from '@kubernetes/client-node'
import { currentRevisionPods, podsOf } from './related.js'
import { current, type KubeResource, type Readiness, type ReadinessContext } from './types.js'
import { rolloutNotStarted, workloadInProgress } from './workload.js'

export function daemonSetReadiness(ds: V1DaemonSet, context: ReadinessContext): Readiness {
  const status = ds.status
  const notStarted = rolloutNotStarted(ds)
  if (notStarted) return notStarted

  const object = { ...ds, kind: 'DaemonSet' } as KubeResource
  const pods = currentRevisionPods(object, context)
  // Stryker disable next-line MethodExpression: equivalent, oldPods are searched only when no current pod is waited on, so current ones among them change nothing
  const oldPods = podsOf(object, context).filter(pod => !pods.includes(pod))
  const desired = status?.desiredNumberScheduled ?? 0
  const updated = status?.updatedNumberScheduled ?? 0
  const available = status?.numberAvailable ?? 0

  if (updated < desired) return workloadInProgress(`${updated} of ${desired} pods updated`, pods, oldPods)
  if (available < desired) {
    return workloadInProgress(`${available} of ${desired} updated pods available`, pods, oldPods)
  }
  return current(
    desired === 0 ? 'no node to run on (0 pods desired)' : `${available} of ${desired} pods available`
  )
}
