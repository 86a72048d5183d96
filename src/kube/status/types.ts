/**
 * What a readiness rule says about one object, and the shared vocabulary of
 * the rules. Inputs are plain JSON as the API server sends it: the
 * client-node types match its field names, but timestamps are strings, never
 * Date objects, so nothing here compares them as dates.
 */
import type { V1ObjectMeta, V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import type { FailureCode } from '../../errors.js'

export type ReadinessState = 'InProgress' | 'Current' | 'Failed'

export interface ResourceFailure {
  code: FailureCode
  /** One line, for people. */
  reason: string
  pod?: string
  container?: string
  restartCount?: number
  exitCode?: number
  waitingReason?: string
  /** The I/O layer should fetch a log tail of pod/container. */
  wantsLogs?: boolean
  /** The log that explains it is the previous instance's (`previous=true`): the container has restarted since. */
  previousLogs?: boolean
}

export interface Readiness {
  state: ReadinessState
  message: string
  /** Set exactly when state is Failed. */
  failure?: ResourceFailure
}

/** Any object the API server returns; the per-kind rules narrow it. */
export interface KubeResource {
  apiVersion?: string
  kind?: string
  metadata?: V1ObjectMeta
  spec?: unknown
  status?: unknown
}

export interface ReadinessContext {
  /** Pods of the object's namespace (all of them: each rule picks its own, of the current revision). */
  pods: V1Pod[]
  /** ReplicaSets of the namespace: the link from a Deployment to its pods. */
  replicaSets: V1ReplicaSet[]
  /** Whether a LoadBalancer Service must have an address to be ready. */
  waitForLoadBalancer: boolean
  /**
   * StorageClasses with volumeBindingMode WaitForFirstConsumer. A claim of one
   * of them stays Pending until a pod using it is scheduled, so a Pending
   * claim with no consumer yet counts as ready rather than timing out.
   * Unset: every Pending claim is in progress.
   */
  waitForFirstConsumerClasses?: readonly string[]
}

/** The common shape of status conditions across kinds. */
export interface Condition {
  type: string
  status: string
  reason?: string
  message?: string
  observedGeneration?: number
}

export const current = (message: string): Readiness => ({ state: 'Current', message })
export const inProgress = (message: string): Readiness => ({ state: 'InProgress', message })
export const failed = (failure: ResourceFailure): Readiness => ({
  state: 'Failed',
  message: failure.reason,
  failure
})

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string
): Condition | undefined {
  return conditions?.find(c => c.type === type)
}

/** "reason: message", or whichever of the two exists. */
export function conditionText(condition: Condition): string {
  if (condition.reason && condition.message) return `${condition.reason}: ${condition.message}`
  return condition.message ?? condition.reason ?? `${condition.type}=${condition.status}`
}

/**
 * Until the controller has observed the latest generation its status
 * describes an older spec, so nothing else in it can be trusted.
 */
export function generationPending(
  metadata: V1ObjectMeta | undefined,
  observedGeneration: number | undefined
): Readiness | undefined {
  const generation = metadata?.generation
  if (generation !== undefined && (observedGeneration === undefined || observedGeneration < generation)) {
    return inProgress(`waiting for the controller to observe generation ${generation}`)
  }
  return undefined
}

/** "1 replica" / "3 replicas". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`
}
