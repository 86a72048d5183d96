/**
 * Whether an Unschedulable pod is doomed or only waiting for room. On most
 * clusters Unschedulable is transient: an autoscaler (cluster-autoscaler,
 * Karpenter) adds a node, pods of the previous version finish terminating, a
 * claim binds. So the stage fails at once only when the cluster says nothing
 * will help, and otherwise after a grace period with nothing making room. Pure.
 */
import type { V1Pod } from '@kubernetes/client-node'
import { formatDuration } from '../../duration.js'

export interface NodeCapacity {
  name: string
  allocatable: Record<string, string>
  /** Cordoned: takes no new pods. */
  unschedulable?: boolean
}

export interface SchedulingFacts {
  now: number
  /** How long a pod may stay Unschedulable with nothing seen making room. */
  graceMs: number
  /** The latest autoscaler event about each pod, by pod name. */
  autoscalerEvents: ReadonlyMap<string, { reason: string; message?: string }>
  /** Every node's allocatable resources; undefined when nodes cannot be read. */
  nodes?: readonly NodeCapacity[]
  /** Pods of the namespace being deleted: their room comes back once they are gone. */
  terminatingPods: number
  /** When the stage first saw each pod unschedulable, by pod name (the runner's clock, not the cluster's). */
  unschedulableSince: ReadonlyMap<string, number>
}

export type UnschedulableVerdict = { doomed: true; reason: string } | { doomed: false; waitingFor: string }

/** Events by which autoscalers say they are adding a node for a pod, or will not. */
export const SCALE_UP_EVENTS = new Set(['TriggeredScaleUp', 'Nominated'])
export const NO_SCALE_UP_EVENTS = new Set(['NotTriggerScaleUp'])

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60
}
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18
}

/** A Kubernetes quantity ("500m", "128Mi", "1.5", "2e3") as a number; undefined if malformed. */
export function parseQuantity(text: string | number | undefined): number | undefined {
  if (typeof text === 'number') return text
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(
    // Stryker disable next-line StringLiteral: equivalent, any string that is not a quantity gives undefined as '' does
    text?.trim() ?? ''
  )
  if (!match) return undefined
  const [, number, exponent, suffix] = match
  const value = Number(number + (exponent ?? ''))
  // Stryker disable next-line StringLiteral: equivalent, without a suffix no table has the key that replaces '', and both fall back to 1 as DECIMAL[''] is
  return value * (BINARY[suffix ?? ''] ?? DECIMAL[suffix ?? ''] ?? 1)
}

/**
 * What the scheduler must find on one node: the sum of the containers' requests,
 * or the largest init container's when that is larger (they run one at a time).
 */
export function podRequests(pod: V1Pod): Map<string, number> {
  const total = new Map<string, number>()
  const add = (into: Map<string, number>, requests: Record<string, unknown> | undefined) => {
    for (const [name, quantity] of Object.entries(requests ?? {})) {
      const value = parseQuantity(quantity as string)
      if (value !== undefined) into.set(name, (into.get(name) ?? 0) + value)
    }
  }
  for (const container of pod.spec?.containers ?? []) add(total, container.resources?.requests)
  for (const init of pod.spec?.initContainers ?? []) {
    const one = new Map<string, number>()
    add(one, init.resources?.requests)
    for (const [name, value] of one) total.set(name, Math.max(total.get(name) ?? 0, value))
  }
  return total
}

/** The first resource this pod requests more of than any schedulable node has, if any. */
function tooLargeForEveryNode(pod: V1Pod, nodes: readonly NodeCapacity[]): string | undefined {
  const candidates = nodes.filter(n => !n.unschedulable)
  if (candidates.length === 0) return undefined
  for (const [resource, requested] of podRequests(pod)) {
    const largest = Math.max(...candidates.map(n => parseQuantity(n.allocatable[resource]) ?? 0))
    if (requested > largest) {
      const wanted = pod.spec?.containers
        .map(c => c.resources?.requests?.[resource])
        .filter(Boolean)
        .join('+')
      return `it requests ${resource} ${wanted || requested}, more than any node can offer (largest allocatable: ${
        candidates.find(n => parseQuantity(n.allocatable[resource]) === largest)?.allocatable[resource] ??
        'none'
      })`
    }
  }
  return undefined
}

export function judgeUnschedulable(pod: V1Pod, facts: SchedulingFacts): UnschedulableVerdict {
  // Stryker disable next-line StringLiteral: equivalent, the stage judges only a pod it found by its name, so the default is never used
  const name = pod.metadata?.name ?? '?'
  const event = facts.autoscalerEvents.get(name)
  if (event && NO_SCALE_UP_EVENTS.has(event.reason))
    return {
      doomed: true,
      reason: `the cluster autoscaler will not add a node for it (${event.message ?? event.reason})`
    }
  if (event && SCALE_UP_EVENTS.has(event.reason))
    return {
      doomed: false,
      waitingFor: `an autoscaler is adding a node (${event.message ? `${event.reason}: ${event.message}` : event.reason})`
    }
  const tooLarge = facts.nodes && tooLargeForEveryNode(pod, facts.nodes)
  if (tooLarge) return { doomed: true, reason: tooLarge }
  if (facts.terminatingPods > 0)
    return {
      doomed: false,
      waitingFor: `${facts.terminatingPods} pod(s) of the namespace to finish terminating`
    }
  const since = facts.unschedulableSince.get(name) ?? facts.now
  const unschedulableFor = Math.max(0, facts.now - since)
  if (unschedulableFor < facts.graceMs)
    return {
      doomed: false,
      waitingFor: `room for it: up to ${formatDuration(facts.graceMs)} for an autoscaler or terminating pods elsewhere (unschedulable for ${formatDuration(unschedulableFor)})`
    }
  return {
    doomed: true,
    reason: `it stayed unschedulable for ${formatDuration(unschedulableFor)} (grace ${formatDuration(facts.graceMs)}) and nothing is making room`
  }
}
