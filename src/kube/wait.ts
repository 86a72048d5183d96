/**
 * Waits for every applied resource at once: one watch per collection, one
 * stage deadline, readiness judged by the pure per-kind rules after every
 * change. Ends as soon as everything is Current, or anything is Failed (with
 * the rule's reason), or the deadline passes (saying what is still missing).
 */
import type { KubeObject } from '../manifests/types.js'
import { displayName, objectKey } from '../manifests/objects.js'
import type { ApiResource, KubeClient } from './client.js'
import { collectionPath, withQuery } from './paths.js'
import { watchCollection, type WatchedObject } from './watch.js'
import { readinessOf, type Readiness, type ResourceFailure } from './status/index.js'
import {
  judgeUnschedulable,
  NO_SCALE_UP_EVENTS,
  SCALE_UP_EVENTS,
  type NodeCapacity
} from './status/unschedulable.js'
import type { V1Pod } from '@kubernetes/client-node'
import { asKubeApiError, rootCause } from './errors.js'
import { formatDuration } from '../duration.js'
import { forbiddenError } from './forbidden.js'

export interface WaitTarget {
  object: KubeObject
  resource: ApiResource
}

export interface WaitOptions {
  timeoutMs: number
  waitForLoadBalancer: boolean
  log: (line: string) => void
  /** How long a pod may stay Unschedulable with nothing seen making room (default 30 s). */
  unschedulableGraceMs?: number
}

export const DEFAULT_UNSCHEDULABLE_GRACE_MS = 30_000

export interface TargetReadiness {
  object: KubeObject
  readiness: Readiness
  /** Milliseconds from the start of the wait until it was first Current. */
  readyAfterMs?: number
}

export interface WaitOutcome {
  state: 'Current' | 'Failed' | 'Timeout'
  results: TargetReadiness[]
  failed?: { object: KubeObject; failure: ResourceFailure; logTail?: string }
  elapsedMs: number
  /** The pods seen last, for the images (and digests) that really run. */
  pods: WatchedObject[]
}

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

function needsWatch(target: WaitTarget, options: WaitOptions): boolean {
  if (READY_ON_APPLY.has(target.object.kind)) return false
  if (target.object.kind === 'Service')
    return options.waitForLoadBalancer && (target.object.spec as { type?: string })?.type === 'LoadBalancer'
  return true
}

const LOG_TAIL_LINES = 20
/** The log tail explains a failure but must not delay it: the stage fails within 2 s of the cause. */
const LOG_TAIL_TIMEOUT_MS = 1500

async function fetchLogTail(
  client: KubeClient,
  namespace: string,
  failure: ResourceFailure
): Promise<string | undefined> {
  if (!failure.wantsLogs || !failure.pod) return undefined
  const path = withQuery(
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(failure.pod)}/log`,
    {
      container: failure.container,
      tailLines: LOG_TAIL_LINES,
      previous: failure.previousLogs ? true : undefined
    }
  )
  try {
    return await Promise.race([
      client.getText(path),
      new Promise<string>((_, reject) =>
        setTimeout(
          () => reject(new Error(`timed out after ${LOG_TAIL_TIMEOUT_MS}ms`)),
          LOG_TAIL_TIMEOUT_MS
        ).unref()
      )
    ])
  } catch (error) {
    return `(log unavailable: ${(error as Error).message})`
  }
}

/**
 * Storage classes that bind a claim only once a pod uses it: such a claim
 * with no pod yet is as ready as it can be. Unknown (no permission to list
 * storage classes) means none: the claim is then waited on until bound.
 */
async function waitForFirstConsumerClasses(
  client: KubeClient,
  targets: WaitTarget[],
  log: (line: string) => void
): Promise<string[]> {
  if (!targets.some(t => t.object.kind === 'PersistentVolumeClaim')) return []
  try {
    const list = await client.getJson<{
      items: { metadata: { name: string }; volumeBindingMode?: string }[]
    }>('/apis/storage.k8s.io/v1/storageclasses')
    return list.items.filter(c => c.volumeBindingMode === 'WaitForFirstConsumer').map(c => c.metadata.name)
  } catch (error) {
    // A namespaced Role cannot read storage classes: the stage goes on, a little less sharp.
    log(
      cannotRead(
        'storage classes',
        error,
        'a PersistentVolumeClaim is waited on until it is bound, even when its class binds only once a pod uses it ' +
          '(grant get and list on storageclasses in a ClusterRole to judge those at once)'
      )
    )
    return []
  }
}

/** What a read that only sharpens a verdict could not do, and what that costs. Pure. */
function cannotRead(what: string, error: unknown, cost: string): string {
  const why = asKubeApiError(error)?.status === 403 ? 'forbidden' : (error as Error).message
  return `Cannot read ${what} (${why}): ${cost}`
}

/**
 * Every node's allocatable resources, to tell a pod too large for any node
 * (doomed) from one waiting for room. Undefined when nodes cannot be read.
 */
async function nodeCapacities(
  client: KubeClient,
  log: (line: string) => void
): Promise<NodeCapacity[] | undefined> {
  try {
    const list = await client.getJson<{
      items: {
        metadata: { name: string }
        spec?: { unschedulable?: boolean }
        status?: { allocatable?: Record<string, string> }
      }[]
    }>('/api/v1/nodes')
    return list.items.map(n => ({
      name: n.metadata.name,
      allocatable: n.status?.allocatable ?? {},
      unschedulable: n.spec?.unschedulable
    }))
  } catch (error) {
    log(
      cannotRead(
        'nodes',
        error,
        'an Unschedulable pod is judged by autoscaler events and the grace period only ' +
          '(grant get and list on nodes in a ClusterRole to fail at once a pod no node can hold)'
      )
    )
    return undefined
  }
}

/** The socket error or the API server's answer that ended a watch, in a few words. */
function describeCause(error: unknown): string {
  const cause = rootCause(error) as { code?: string; message?: string } | undefined
  const message = cause?.message ?? (error as Error)?.message ?? String(error)
  return cause?.code && !message.includes(cause.code) ? `${message} (${cause.code})` : message
}

const DELETED: Readiness = {
  state: 'Failed',
  message: 'deleted while the stage waited for it',
  failure: { code: 'ResourceFailed', reason: 'it was deleted while the stage waited for it to become ready' }
}

export async function waitForReadiness(
  client: KubeClient,
  targets: WaitTarget[],
  options: WaitOptions
): Promise<WaitOutcome> {
  const started = Date.now()
  const abort = new AbortController()
  const latest = new Map<string, KubeObject>(targets.map(t => [objectKey(t.object), t.object]))
  const pods = new Map<string, WatchedObject>()
  const replicaSets = new Map<string, WatchedObject>()
  const readyAt = new Map<string, number>()
  const lastMessage = new Map<string, string>()
  /** Targets the watches have reported, and those deleted before they were ever ready. */
  const seen = new Set<string>()
  const deleted = new Set<string>()
  let watchError: unknown
  const bindOnFirstConsumer = await waitForFirstConsumerClasses(client, targets, options.log)
  const autoscalerEvents = new Map<string, { reason: string; message?: string }>()
  const unschedulableSince = new Map<string, number>()
  const graceMs = options.unschedulableGraceMs ?? DEFAULT_UNSCHEDULABLE_GRACE_MS

  const watched = targets.filter(t => needsWatch(t, options))
  const collections = new Map<string, { path: string; apiVersion: string; kind: string }>()
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
  const nodes = podNamespaces.size > 0 ? await nodeCapacities(client, options.log) : undefined

  /** An Unschedulable pod fails the target only when nothing will make room for it. */
  const judgeScheduling = (readiness: Readiness, namespace: string | undefined): Readiness => {
    const failure = readiness.failure
    if (readiness.state !== 'Failed' || failure?.code !== 'Unschedulable' || !failure.pod) return readiness
    const pod = [...pods.values()].find(
      p => p.metadata.name === failure.pod && p.metadata.namespace === namespace
    ) as V1Pod | undefined
    if (!pod) return readiness
    if (!unschedulableSince.has(failure.pod)) unschedulableSince.set(failure.pod, Date.now())
    const verdict = judgeUnschedulable(pod, {
      now: Date.now(),
      graceMs,
      autoscalerEvents,
      nodes,
      terminatingPods: [...pods.values()].filter(
        p =>
          p.metadata.namespace === namespace &&
          (p.metadata as { deletionTimestamp?: string }).deletionTimestamp
      ).length,
      unschedulableSince
    })
    if (verdict.doomed)
      return { ...readiness, failure: { ...failure, reason: `${failure.reason}; ${verdict.reason}` } }
    return { state: 'InProgress', message: `${failure.reason}; waiting for ${verdict.waitingFor}` }
  }

  return new Promise<WaitOutcome>(resolve => {
    let settled = false
    let scheduled = false
    const finish = (
      outcome: Omit<WaitOutcome, 'elapsedMs' | 'results' | 'pods'>,
      results: TargetReadiness[]
    ) => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      clearInterval(tick)
      abort.abort()
      resolve({ ...outcome, results, elapsedMs: Date.now() - started, pods: [...pods.values()] })
    }

    /** The rule's verdict on a target as last seen, with the pods and ReplicaSets seen so far. */
    const judge = (target: WaitTarget, object: KubeObject): Readiness => {
      if (!needsWatch(target, options)) return { state: 'Current', message: 'applied' }
      const readiness = readinessOf(object as never, {
        pods: [...pods.values()].filter(p => p.metadata.namespace === object.metadata.namespace) as never,
        replicaSets: [...replicaSets.values()] as never,
        waitForLoadBalancer: options.waitForLoadBalancer,
        waitForFirstConsumerClasses: bindOnFirstConsumer
      })
      return judgeScheduling(readiness, object.metadata.namespace)
    }

    const evaluate = (): TargetReadiness[] => {
      return targets.map(target => {
        const key = objectKey(target.object)
        const object = latest.get(key)!
        const readiness = deleted.has(key) ? DELETED : judge(target, object)
        if (readiness.state === 'Current' && !readyAt.has(key)) readyAt.set(key, Date.now() - started)
        if (
          needsWatch(target, options) &&
          lastMessage.get(key) !== `${readiness.state}:${readiness.message}`
        ) {
          lastMessage.set(key, `${readiness.state}:${readiness.message}`)
          const mark =
            readiness.state === 'Current' ? 'ready' : readiness.state === 'Failed' ? 'FAILED' : 'waiting'
          options.log(`${displayName(object)}: ${mark}: ${readiness.message}`)
        }
        return { object, readiness, readyAfterMs: readyAt.get(key) }
      })
    }

    const check = () => {
      scheduled = false
      if (settled) return
      const results = evaluate()
      const failed = results.find(r => r.readiness.state === 'Failed')
      if (failed) {
        const failure = failed.readiness.failure ?? {
          code: 'ResourceFailed',
          reason: failed.readiness.message
        }
        settled = true
        clearTimeout(deadline)
        clearInterval(tick)
        clearInterval(tick)
        abort.abort()
        void fetchLogTail(client, failed.object.metadata.namespace ?? '', failure).then(logTail =>
          resolve({
            state: 'Failed',
            failed: { object: failed.object, failure, logTail },
            results,
            elapsedMs: Date.now() - started,
            pods: [...pods.values()]
          })
        )
        return
      }
      if (watchError !== undefined) {
        const api = asKubeApiError(watchError)
        finish(
          {
            state: 'Failed',
            failed: {
              object: targets[0].object,
              failure:
                api?.status === 403
                  ? { code: 'Forbidden', reason: forbiddenError(api, 'watch what it waits for').message }
                  : { code: 'ResourceFailed', reason: `watch failed: ${(watchError as Error).message}` }
            }
          },
          results
        )
        return
      }
      if (results.every(r => r.readiness.state === 'Current')) finish({ state: 'Current' }, results)
    }
    // Coalesce bursts of events (a rollout emits dozens) into one evaluation.
    const schedule = () => {
      if (!scheduled) {
        scheduled = true
        setTimeout(check, 5)
      }
    }

    const deadline = setTimeout(() => {
      const results = evaluate()
      if (!lost) return finish({ state: 'Timeout' }, results)
      // Not the rollout's fault: nobody could see it.
      const gone = formatDuration(Date.now() - lost.since)
      finish(
        {
          state: 'Failed',
          failed: {
            object: targets[0].object,
            failure: {
              code: 'ClusterUnreachable',
              reason: `the API server at ${client.server} has not answered for ${gone}, until the stage deadline (${describeCause(lost.error)})`
            }
          }
        },
        results
      )
    }, options.timeoutMs)
    // Some verdicts change with time alone (an unschedulable pod's grace period).
    const tick = setInterval(schedule, 1000)

    const targetsByKey = new Map(targets.map(t => [objectKey(t.object), t]))
    const onTargetEvent = (kind: string, apiVersion: string) => (type: string, event: WatchedObject) => {
      const object = { ...(event as unknown as KubeObject), apiVersion, kind }
      const key = objectKey(object)
      const target = targetsByKey.get(key)
      if (!target) return
      seen.add(key)
      latest.set(key, object)
      // Gone once ready (a finished Job's TTL) is fine, judged on its last state right away, since the
      // ready and the deleted event can come in one burst; gone before is a failure, not a wait until the deadline.
      if (type === 'DELETED') {
        if (judge(target, object).state === 'Current')
          readyAt.set(key, readyAt.get(key) ?? Date.now() - started)
        else deleted.add(key)
      }
      schedule()
    }
    const track = (store: Map<string, WatchedObject>) => ({
      ...connection(),
      onEvent: (type: string, object: WatchedObject) => {
        const key = object.metadata.uid ?? `${object.metadata.namespace}/${object.metadata.name}`
        if (type === 'DELETED') store.delete(key)
        else store.set(key, object)
        schedule()
      },
      onReset: () => store.clear(),
      onError
    })
    const onError = (error: unknown) => {
      watchError = error
      schedule()
    }
    // A blip between the runner and the API server is waited out; only the deadline ends it.
    let lost: { since: number; error: unknown } | undefined
    const connection = () => ({
      onDisconnected: (error: unknown) => {
        if (lost) return
        lost = { since: Date.now(), error }
        options.log(
          `Lost the connection to the API server (${describeCause(error)}); resuming when it answers`
        )
      },
      onReconnected: () => {
        // The first watch that answers again proves the server back; the others follow.
        if (!lost) return
        options.log(
          `The API server answers again after ${formatDuration(Date.now() - lost.since)}; watching resumed`
        )
        lost = undefined
        schedule()
      }
    })

    const starts: Promise<void>[] = []
    for (const { path, apiVersion, kind } of collections.values()) {
      starts.push(
        watchCollection(client, path, abort.signal, {
          onEvent: onTargetEvent(kind, apiVersion),
          onError,
          ...connection()
        })
      )
    }
    for (const namespace of podNamespaces) {
      const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''
      starts.push(watchCollection(client, `/api/v1${ns}/pods`, abort.signal, track(pods)))
      starts.push(watchCollection(client, `/apis/apps/v1${ns}/replicasets`, abort.signal, track(replicaSets)))
      // Autoscalers say on the pod whether a node is coming; without the events, the grace period decides.
      void watchCollection(client, `/api/v1${ns}/events`, abort.signal, {
        onEvent: (_type, event) => {
          const { involvedObject, reason, message } = event as unknown as {
            involvedObject?: { kind?: string; name?: string }
            reason?: string
            message?: string
          }
          if (involvedObject?.kind !== 'Pod' || !involvedObject.name || !reason) return
          if (SCALE_UP_EVENTS.has(reason) || NO_SCALE_UP_EVENTS.has(reason)) {
            autoscalerEvents.set(involvedObject.name, { reason, message })
            schedule()
          }
        },
        // Said once: a refused first list reports here, then rejects the promise below.
        onError: error =>
          options.log(cannotRead(`events in ${namespace}`, error, 'autoscaler decisions are not seen'))
      }).catch(() => undefined)
    }
    Promise.all(starts).then(() => {
      // Not in the first list: deleted between the apply and the wait.
      for (const target of watched) {
        const key = objectKey(target.object)
        if (!seen.has(key)) deleted.add(key)
      }
      schedule()
    }, onError)
  })
}
