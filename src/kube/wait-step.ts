/**
 * One step of the wait, as a pure function of what the watches have seen: every
 * target judged by its kind's rule (with the pods and ReplicaSets of its
 * namespace), an Unschedulable pod judged against autoscaler events, node
 * capacity and the grace period, and one verdict for the whole set: Current,
 * Failed (with the first failure) or InProgress. The watch loop (wait.ts) does
 * the I/O and hands back what a step remembers for the next one (WaitMemory).
 */
import type { V1Pod } from '@kubernetes/client-node'
import type { KubeObject } from '../manifests/types.js'
import { displayName, objectKey } from '../manifests/objects.js'
import type { ApiResource } from './client.js'
import { collectionPath } from './paths.js'
import type { WatchedObject } from './watch.js'
import { readinessOf, type Readiness, type ResourceFailure } from './status/index.js'
import {
  judgeUnschedulable,
  NO_SCALE_UP_EVENTS,
  SCALE_UP_EVENTS,
  type NodeCapacity
} from './status/unschedulable.js'
import { failedCreateKey, refusedByEvent, type FailedCreate } from './status/failed-create.js'
import { asKubeApiError, rootCause } from './errors.js'
import { forbiddenError } from './forbidden.js'
import { formatDuration } from '../duration.js'

export interface WaitTarget {
  object: KubeObject
  resource: ApiResource
}

export interface TargetReadiness {
  object: KubeObject
  readiness: Readiness
  /** Milliseconds from the start of the wait until it was first Current. */
  readyAfterMs?: number
}

/** What does not change while waiting. */
export interface WaitSettings {
  waitForLoadBalancer: boolean
  /** How long a pod may stay Unschedulable with nothing seen making room. */
  unschedulableGraceMs: number
  /** Storage classes that bind a claim only once a pod uses it. */
  waitForFirstConsumerClasses: readonly string[]
}

/** What the watches have seen so far. */
export interface WaitFacts {
  /** The runner's clock now, and when the wait started. */
  now: number
  startedAt: number
  /** Each target as last seen, by objectKey; the applied object until a watch reports it. */
  latest: ReadonlyMap<string, KubeObject>
  /** Targets deleted before they were ever ready, by objectKey. */
  deleted: ReadonlySet<string>
  pods: readonly WatchedObject[]
  replicaSets: readonly WatchedObject[]
  /** The latest autoscaler event about each pod, by pod name. */
  autoscalerEvents: ReadonlyMap<string, { reason: string; message?: string }>
  /** The latest FailedCreate event of a StatefulSet, DaemonSet or Job, by failedCreateKey. */
  failedCreates?: ReadonlyMap<string, FailedCreate>
  /** Every node's allocatable resources; undefined when nodes cannot be read. */
  nodes?: readonly NodeCapacity[]
  /** What ended a watch for good (403, 404...): retrying cannot change it. */
  watchError?: unknown
}

/** What one step remembers for the next. */
export interface WaitMemory {
  /** When each target was first Current, in milliseconds from the start, by objectKey. */
  readyAt: ReadonlyMap<string, number>
  /** When the stage first saw each pod Unschedulable (the runner's clock), by pod name. */
  unschedulableSince: ReadonlyMap<string, number>
  /** The state and message last logged for each target, by objectKey. */
  said: ReadonlyMap<string, string>
}

export interface WaitStep {
  verdict: 'Current' | 'Failed' | 'InProgress'
  results: TargetReadiness[]
  /** With verdict Failed: the first target that failed, or the watch that did. */
  failed?: { object: KubeObject; failure: ResourceFailure }
  /** One log line for each watched target whose state or message changed since the last step. */
  messages: string[]
  memory: WaitMemory
}

export const NO_MEMORY: WaitMemory = { readyAt: new Map(), unschedulableSince: new Map(), said: new Map() }

/** Kinds whose only readiness is "the API server accepted it": nothing to watch. */
const READY_ON_APPLY = new Set([
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'NetworkPolicy',
  'LimitRange',
  'ResourceQuota',
  'PodDisruptionBudget',
  'Namespace',
  'PriorityClass',
  'StorageClass',
  'IngressClass'
])

/** Kinds whose readiness depends on their pods (and a Deployment's ReplicaSets). */
const POD_OWNERS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'Pod'])

export function needsWatch(object: KubeObject, waitForLoadBalancer: boolean): boolean {
  if (READY_ON_APPLY.has(object.kind)) return false
  if (object.kind === 'Service')
    return waitForLoadBalancer && (object.spec as { type?: string })?.type === 'LoadBalancer'
  return true
}

export interface WatchPlan {
  /** The targets that have something to wait for. */
  watched: WaitTarget[]
  /** One watch per collection of those targets. */
  collections: { path: string; apiVersion: string; kind: string }[]
  /** Namespaces whose pods, ReplicaSets and events the rules need ('' for all). */
  podNamespaces: string[]
}

/** What to watch for these targets. */
export function watchPlan(targets: readonly WaitTarget[], waitForLoadBalancer: boolean): WatchPlan {
  const watched = targets.filter(t => needsWatch(t.object, waitForLoadBalancer))
  const collections = new Map<string, WatchPlan['collections'][number]>()
  for (const { object, resource } of watched) {
    const path = collectionPath(
      object.apiVersion,
      resource,
      resource.namespaced ? object.metadata.namespace : undefined
    )
    collections.set(path, { path, apiVersion: object.apiVersion, kind: object.kind })
  }
  const podNamespaces = new Set(
    watched.filter(t => POD_OWNERS.has(t.object.kind)).map(t => t.object.metadata.namespace ?? '')
  )
  return { watched, collections: [...collections.values()], podNamespaces: [...podNamespaces] }
}

/**
 * The components that report scale-ups: the cluster autoscaler (also GKE's and AKS's) and
 * Karpenter (also EKS Auto Mode and AKS node auto-provisioning). Anyone with `events/create` in
 * the namespace can write an Event with these reasons; one from another component is not
 * believed (the README's security notes say what such a writer can still do).
 */
export const AUTOSCALER_COMPONENTS = new Set(['cluster-autoscaler', 'karpenter'])

/** An autoscaler saying on a pod whether a node is coming; undefined for any other event. */
export function autoscalerEvent(
  event: unknown
): { pod: string; reason: string; message?: string } | undefined {
  const { involvedObject, reason, message, source, reportingComponent } = event as {
    involvedObject?: { kind?: string; name?: string }
    reason?: string
    message?: string
    source?: { component?: string }
    reportingComponent?: string
  }
  if (involvedObject?.kind !== 'Pod' || !involvedObject.name || !reason) return undefined
  const component = source?.component || reportingComponent
  if (!component || !AUTOSCALER_COMPONENTS.has(component)) return undefined
  if (!SCALE_UP_EVENTS.has(reason) && !NO_SCALE_UP_EVENTS.has(reason)) return undefined
  return { pod: involvedObject.name, reason, message }
}

const DELETED: Readiness = {
  state: 'Failed',
  message: 'deleted while the stage waited for it',
  failure: { code: 'ResourceFailed', reason: 'it was deleted while the stage waited for it to become ready' }
}

/**
 * The rule's verdict on one object as last seen, with the pods and ReplicaSets
 * seen so far; an Unschedulable pod fails it only when nothing will make room.
 * Also returns the pod it found Unschedulable, if any, for the memory.
 */
export function judgeTarget(
  target: WaitTarget,
  object: KubeObject,
  facts: WaitFacts,
  unschedulableSince: ReadonlyMap<string, number>,
  settings: WaitSettings
): { readiness: Readiness; unschedulablePod?: string } {
  if (!needsWatch(target.object, settings.waitForLoadBalancer))
    return { readiness: { state: 'Current', message: 'applied' } }
  const namespace = object.metadata.namespace
  const inNamespace = facts.pods.filter(p => p.metadata.namespace === namespace)
  const readiness = readinessOf(object as never, {
    pods: inNamespace as never,
    replicaSets: [...facts.replicaSets] as never,
    waitForLoadBalancer: settings.waitForLoadBalancer,
    waitForFirstConsumerClasses: settings.waitForFirstConsumerClasses
  })
  if (readiness.state === 'InProgress') {
    const event = facts.failedCreates?.get(failedCreateKey(namespace, object.kind, object.metadata.name))
    const refused = refusedByEvent(object, event, inNamespace as never)
    if (refused) return { readiness: refused }
  }
  const failure = readiness.failure
  if (readiness.state !== 'Failed' || failure?.code !== 'Unschedulable' || !failure.pod) return { readiness }
  const pod = inNamespace.find(p => p.metadata.name === failure.pod) as V1Pod | undefined
  if (!pod) return { readiness }
  const verdict = judgeUnschedulable(pod, {
    now: facts.now,
    graceMs: settings.unschedulableGraceMs,
    autoscalerEvents: facts.autoscalerEvents,
    nodes: facts.nodes,
    terminatingPods: inNamespace.filter(p => (p.metadata as { deletionTimestamp?: string }).deletionTimestamp)
      .length,
    unschedulableSince
  })
  return {
    unschedulablePod: failure.pod,
    readiness: verdict.doomed
      ? { ...readiness, failure: { ...failure, reason: `${failure.reason}; ${verdict.reason}` } }
      : { state: 'InProgress', message: `${failure.reason}; waiting for ${verdict.waitingFor}` }
  }
}

/** Judges every target, then the set: the first Failed one, a failed watch, all Current, or still waiting. */
export function waitStep(
  targets: readonly WaitTarget[],
  settings: WaitSettings,
  facts: WaitFacts,
  memory: WaitMemory
): WaitStep {
  const readyAt = new Map(memory.readyAt)
  const unschedulableSince = new Map(memory.unschedulableSince)
  const said = new Map(memory.said)
  const messages: string[] = []
  const results = targets.map(target => {
    const key = objectKey(target.object)
    const object = facts.latest.get(key) ?? target.object
    let readiness = DELETED
    if (!facts.deleted.has(key)) {
      const judged = judgeTarget(target, object, facts, unschedulableSince, settings)
      // First seen Unschedulable (judged as unschedulable for 0 s): the grace period starts now.
      const pod = judged.unschedulablePod
      if (pod && !unschedulableSince.has(pod)) unschedulableSince.set(pod, facts.now)
      readiness = judged.readiness
    }
    if (readiness.state === 'Current' && !readyAt.has(key)) readyAt.set(key, facts.now - facts.startedAt)
    const line = `${readiness.state}:${readiness.message}`
    if (needsWatch(target.object, settings.waitForLoadBalancer) && said.get(key) !== line) {
      said.set(key, line)
      const mark =
        readiness.state === 'Current' ? 'ready' : readiness.state === 'Failed' ? 'FAILED' : 'waiting'
      messages.push(`${displayName(object)}: ${mark}: ${readiness.message}`)
    }
    return { object, readiness, readyAfterMs: readyAt.get(key) }
  })
  const step = { results, messages, memory: { readyAt, unschedulableSince, said } }
  const failed = results.find(r => r.readiness.state === 'Failed')
  if (failed) {
    const failure = failed.readiness.failure ?? { code: 'ResourceFailed', reason: failed.readiness.message }
    return { ...step, verdict: 'Failed', failed: { object: failed.object, failure } }
  }
  if (facts.watchError !== undefined)
    return {
      ...step,
      verdict: 'Failed',
      failed: { object: targets[0].object, failure: watchFailure(facts.watchError) }
    }
  return { ...step, verdict: results.every(r => r.readiness.state === 'Current') ? 'Current' : 'InProgress' }
}

function watchFailure(error: unknown): ResourceFailure {
  const api = asKubeApiError(error)
  return api?.status === 403
    ? { code: 'Forbidden', reason: forbiddenError(api, 'watch what it waits for').message }
    : { code: 'ResourceFailed', reason: `watch failed: ${(error as Error).message}` }
}

/**
 * At the deadline, a timeout is the rollout's, unless the API server had
 * stopped answering: then nobody could see it, and it is ClusterUnreachable.
 */
export function deadlineFailure(
  lost: { since: number; error: unknown } | undefined,
  now: number,
  server: string
): ResourceFailure | undefined {
  if (!lost) return undefined
  return {
    code: 'ClusterUnreachable',
    reason: `the API server at ${server} has not answered for ${formatDuration(now - lost.since)}, until the stage deadline (${describeCause(lost.error)})`
  }
}

/** The socket error or the API server's answer that ended a watch, in a few words. */
export function describeCause(error: unknown): string {
  const cause = rootCause(error) as { code?: string; message?: string } | undefined
  const message = cause?.message ?? (error as Error)?.message ?? String(error)
  return cause?.code && !message.includes(cause.code) ? `${message} (${cause.code})` : message
}
