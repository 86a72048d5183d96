/** PersistentVolumeClaim. Pure. */
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node'
import { current, failed, inProgress, type Readiness, type ReadinessContext } from './types.js'

/** Set by the scheduler once a consumer pod is placed: provisioning has begun. */
const SELECTED_NODE = 'volume.kubernetes.io/selected-node'

export function pvcReadiness(
  pvc: V1PersistentVolumeClaim,
  context: Pick<ReadinessContext, 'waitForFirstConsumerClasses'> = {}
): Readiness {
  const phase = pvc.status?.phase ?? 'Pending'
  if (phase === 'Bound') return current(pvc.spec?.volumeName ? `bound to ${pvc.spec.volumeName}` : 'bound')
  if (phase === 'Lost') {
    return failed({
      code: 'ResourceFailed',
      reason: `claim lost its volume${pvc.spec?.volumeName ? ` ${pvc.spec.volumeName}` : ''} (phase Lost)`
    })
  }
  const storageClass = pvc.spec?.storageClassName
  if (
    storageClass !== undefined &&
    context.waitForFirstConsumerClasses?.includes(storageClass) &&
    !pvc.metadata?.annotations?.[SELECTED_NODE]
  ) {
    // Binding waits for a pod; waiting for the claim would deadlock a stage that creates no pod for it.
    return current(`Pending until a pod uses it (storage class ${storageClass} binds on first consumer)`)
  }
  return inProgress(`waiting to be bound (${phase})`)
}
