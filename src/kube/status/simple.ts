/** Readiness of objects without pods: PVCs, Services, CRDs, and anything with conditions. Pure. */
import {
  condition,
  current,
  failed,
  generationPending,
  inProgress,
  type Json,
  type Readiness,
  type ReadinessContext
} from './types.js'

export function pvcReadiness(pvc: Json): Readiness {
  const phase = pvc.status?.phase ?? 'Pending'
  if (phase === 'Bound') return current('bound')
  if (phase === 'Lost') return failed({ code: 'ResourceFailed', reason: 'lost its volume (phase Lost)' })
  return inProgress(`waiting to be bound (${phase})`)
}

export function serviceReadiness(service: Json, context: ReadinessContext): Readiness {
  if (service.spec?.type !== 'LoadBalancer' || !context.waitForLoadBalancer) return current('created')
  const ingress = service.status?.loadBalancer?.ingress as Json[] | undefined
  if (ingress?.length) return current(`load balancer at ${ingress.map(i => i.ip ?? i.hostname).join(', ')}`)
  return inProgress('waiting for a load balancer address')
}

export function crdReadiness(crd: Json): Readiness {
  const names = condition(crd, 'NamesAccepted')
  if (names?.status === 'False')
    return failed({
      code: 'ResourceFailed',
      reason: `names not accepted: ${names.message ?? names.reason ?? ''}`
    })
  if (condition(crd, 'Established')?.status === 'True') return current('established')
  return inProgress('waiting to be established')
}

/** kstatus's conventions for any other object. */
export function genericReadiness(object: Json): Readiness {
  const stalled = condition(object, 'Stalled')
  if (stalled?.status === 'True') {
    return failed({
      code: 'ResourceFailed',
      reason: `stalled: ${stalled.message ?? stalled.reason ?? ''}`.trim()
    })
  }
  const pending = object.status?.observedGeneration !== undefined ? generationPending(object) : undefined
  if (pending) return pending
  const reconciling = condition(object, 'Reconciling')
  if (reconciling?.status === 'True')
    return inProgress(`reconciling: ${reconciling.message ?? reconciling.reason ?? ''}`.trim())
  const ready = condition(object, 'Ready')
  if (ready?.status === 'True') return current('ready')
  if (ready) return inProgress(`not ready: ${ready.message ?? ready.reason ?? ready.status}`)
  return current('applied')
}
