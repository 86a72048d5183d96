/** What a readiness rule says about one object. */
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
  /** The wait loop should fetch a log tail of pod/container. */
  wantsLogs?: boolean
}

export interface Readiness {
  state: ReadinessState
  message: string
  failure?: ResourceFailure
}

/** Plain JSON objects, as the API server sends them. */
export type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ReadinessContext {
  /** Pods (and ReplicaSets) in the object's namespace; each rule picks the ones that are its own. */
  pods: Json[]
  replicaSets: Json[]
  waitForLoadBalancer: boolean
}

export const current = (message: string): Readiness => ({ state: 'Current', message })
export const inProgress = (message: string): Readiness => ({ state: 'InProgress', message })
export const failed = (failure: ResourceFailure): Readiness => ({
  state: 'Failed',
  message: failure.reason,
  failure
})

export function condition(object: Json, type: string): Json | undefined {
  return (object.status?.conditions as Json[] | undefined)?.find(c => c.type === type)
}

/** The controller has not seen the latest spec yet: its status says nothing about it. */
export function generationPending(object: Json): Readiness | undefined {
  const generation = object.metadata?.generation
  const observed = object.status?.observedGeneration
  if (generation !== undefined && (observed === undefined || observed < generation)) {
    return inProgress(`waiting for the controller to observe generation ${generation}`)
  }
  return undefined
}
