/**
 * Any other kind, by kstatus's conventions: a stale observedGeneration or
 * Reconciling=True is in progress, Stalled=True is failed, Ready decides when
 * present, and an object without any of these is ready once applied. Pure.
 */
import {
  conditionText,
  current,
  failed,
  findCondition,
  generationPending,
  inProgress,
  type Condition,
  type KubeResource,
  type Readiness
} from './types.js'

interface GenericStatus {
  observedGeneration?: unknown
  conditions?: unknown
}

function conditionsOf(status: GenericStatus | undefined): Condition[] {
  const conditions = status?.conditions
  return Array.isArray(conditions)
    ? conditions.filter(
        (c): c is Condition =>
          typeof c?.status === 'string' &&
          // Stryker disable next-line ConditionalExpression: equivalent, conditions are looked up by a string type, so one whose type is not a string is never found
          typeof c.type === 'string'
      )
    : []
}

export function genericReadiness(object: KubeResource): Readiness {
  const status = (object.status ?? undefined) as GenericStatus | undefined
  const observed = status?.observedGeneration
  if (typeof observed === 'number') {
    const pending = generationPending(object.metadata, observed)
    if (pending) return pending
  }
  const conditions = conditionsOf(status)
  const reconciling = findCondition(conditions, 'Reconciling')
  if (reconciling?.status === 'True') return inProgress(`reconciling (${conditionText(reconciling)})`)
  const stalled = findCondition(conditions, 'Stalled')
  if (stalled?.status === 'True') {
    return failed({ code: 'ResourceFailed', reason: `stalled (${conditionText(stalled)})` })
  }
  const ready = findCondition(conditions, 'Ready')
  if (ready) {
    const generation = object.metadata?.generation
    // A condition that carries its own observedGeneration may describe an older spec.
    if (
      generation !== undefined &&
      ready.observedGeneration !== undefined &&
      ready.observedGeneration < generation
    ) {
      return inProgress(`waiting for the controller to observe generation ${generation}`)
    }
    if (ready.status === 'True') return current('ready')
    return inProgress(`not ready (${conditionText(ready)})`)
  }
  return current(status === undefined ? 'applied' : 'applied (no readiness conditions)')
}
