/** CustomResourceDefinition: its kind can be used once Established. Pure. */
import type { V1CustomResourceDefinition } from '@kubernetes/client-node'
import { conditionText, current, failed, findCondition, inProgress, type Readiness } from './types.js'

export function crdReadiness(crd: V1CustomResourceDefinition): Readiness {
  const conditions = crd.status?.conditions
  // Conflicting names never resolve by waiting, and the CRD is never established with them.
  const names = findCondition(conditions, 'NamesAccepted')
  if (names?.status === 'False') {
    return failed({ code: 'ResourceFailed', reason: `names not accepted (${conditionText(names)})` })
  }
  const established = findCondition(conditions, 'Established')
  if (established?.status === 'True') return current('established')
  return inProgress(
    established?.message ? `waiting to be established (${established.message})` : 'waiting to be established'
  )
}
