/** Service: ready once created, unless a load balancer address is awaited. Pure. */
import type { V1Service } from '@kubernetes/client-node'
import { current, inProgress, type Readiness, type ReadinessContext } from './types.js'

export function serviceReadiness(
  service: V1Service,
  context: Pick<ReadinessContext, 'waitForLoadBalancer'>
): Readiness {
  const type = service.spec?.type ?? 'ClusterIP'
  if (type !== 'LoadBalancer') return current(`${type} service`)
  if (!context.waitForLoadBalancer) return current('LoadBalancer service (address not awaited)')
  const ingress = service.status?.loadBalancer?.ingress ?? []
  const addresses = ingress.map(i => i.ip ?? i.hostname).filter(Boolean)
  if (addresses.length) return current(`load balancer at ${addresses.join(', ')}`)
  return inProgress('waiting for a load balancer address')
}
