/**
 * Waits for every applied resource at once: one watch per collection, one
 * stage deadline, and after every change one pure step (wait-step.ts) that
 * judges everything seen so far. Ends as soon as everything is Current, or
 * anything is Failed (with the rule's reason and a log tail), or the deadline
 * passes (saying what is still missing). This module is the I/O: watches and
 * timers; the reads around them are in wait-reads.ts.
 */
import type { KubeObject } from '../manifests/types.js'
import { objectKey } from '../manifests/objects.js'
import type { KubeClient } from './client.js'
import { watchCollection, type WatchedObject } from './watch.js'
import type { ResourceFailure } from './status/index.js'
import { formatDuration } from '../duration.js'
import { failedCreateEvent, type FailedCreate } from './status/failed-create.js'
import {
  autoscalerEvent,
  deadlineFailure,
  describeCause,
  judgeTarget,
  NO_MEMORY,
  waitStep,
  watchPlan,
  type TargetReadiness,
  type WaitFacts,
  type WaitSettings,
  type WaitTarget
} from './wait-step.js'
import { cannotRead, fetchLogTail, nodeCapacities, waitForFirstConsumerClasses } from './wait-reads.js'

export type { TargetReadiness, WaitTarget } from './wait-step.js'

export interface WaitOptions {
  timeoutMs: number
  waitForLoadBalancer: boolean
  log: (line: string) => void
  /** How long a pod may stay Unschedulable with nothing seen making room (default 30 s). */
  unschedulableGraceMs?: number
}

export const DEFAULT_UNSCHEDULABLE_GRACE_MS = 30_000

export interface WaitOutcome {
  state: 'Current' | 'Failed' | 'Timeout'
  results: TargetReadiness[]
  failed?: { object: KubeObject; failure: ResourceFailure; logTail?: string }
  elapsedMs: number
  /** The pods and ReplicaSets seen last: which pods are the rolled-out ones, and the digests they run. */
  pods: WatchedObject[]
  replicaSets: WatchedObject[]
}

export async function waitForReadiness(
  client: KubeClient,
  targets: WaitTarget[],
  options: WaitOptions
): Promise<WaitOutcome> {
  const startedAt = Date.now()
  const abort = new AbortController()
  // What the watches have seen; each step judges it whole.
  const latest = new Map<string, KubeObject>(targets.map(t => [objectKey(t.object), t.object]))
  const pods = new Map<string, WatchedObject>()
  const replicaSets = new Map<string, WatchedObject>()
  const autoscalerEvents = new Map<string, { reason: string; message?: string }>()
  const failedCreates = new Map<string, FailedCreate>()
  /** Targets the watches have reported, and those deleted before they were ever ready. */
  const seen = new Set<string>()
  const deleted = new Set<string>()
  let watchError: unknown
  /** Every watch has delivered its first list. */
  let listed = false
  let memory = NO_MEMORY
  const settings: WaitSettings = {
    waitForLoadBalancer: options.waitForLoadBalancer,
    unschedulableGraceMs: options.unschedulableGraceMs ?? DEFAULT_UNSCHEDULABLE_GRACE_MS,
    waitForFirstConsumerClasses: await waitForFirstConsumerClasses(client, targets, options.log)
  }

  const { watched, collections, podNamespaces } = watchPlan(targets, options.waitForLoadBalancer)
  const nodes = podNamespaces.length > 0 ? await nodeCapacities(client, options.log) : undefined
  const facts = (): WaitFacts => ({
    now: Date.now(),
    startedAt,
    latest,
    deleted,
    pods: [...pods.values()],
    replicaSets: [...replicaSets.values()],
    autoscalerEvents,
    failedCreates,
    nodes,
    watchError
  })
  /** The pure step on what was seen, its memory kept and its lines logged. */
  const step = () => {
    const next = waitStep(targets, settings, facts(), memory)
    memory = next.memory
    for (const line of next.messages) options.log(line)
    return next
  }

  return new Promise<WaitOutcome>(resolve => {
    let settled = false
    let scheduled = false
    const settle = () => {
      settled = true
      clearTimeout(deadline)
      clearInterval(tick)
      abort.abort()
    }
    const seenLast = () => ({ pods: [...pods.values()], replicaSets: [...replicaSets.values()] })
    const finish = (outcome: Omit<WaitOutcome, 'elapsedMs' | 'pods' | 'replicaSets'>) => {
      if (settled) return
      settle()
      resolve({ ...outcome, elapsedMs: Date.now() - startedAt, ...seenLast() })
    }

    const check = () => {
      scheduled = false
      if (settled) return
      const { verdict, results, failed } = step()
      if (verdict === 'Current') {
        // Counts alone can say Current before the pods and ReplicaSets are listed: the record's digests need them.
        if (listed) finish({ state: 'Current', results })
        return
      }
      if (verdict !== 'Failed' || !failed) return
      // Settled now; resolved once the log tail that explains it is in (or has timed out).
      settle()
      void fetchLogTail(client, failed.object.metadata.namespace ?? '', failed.failure).then(logTail =>
        resolve({
          state: 'Failed',
          failed: { ...failed, logTail },
          results,
          elapsedMs: Date.now() - startedAt,
          ...seenLast()
        })
      )
    }
    // Coalesce bursts of events (a rollout emits dozens) into one evaluation.
    const schedule = () => {
      if (!scheduled) {
        scheduled = true
        setTimeout(check, 5)
      }
    }

    const deadline = setTimeout(() => {
      const { results } = step()
      const unreachable = deadlineFailure(lost, Date.now(), client.server)
      if (!unreachable) return finish({ state: 'Timeout', results })
      // Not the rollout's fault: nobody could see it.
      finish({ state: 'Failed', failed: { object: targets[0].object, failure: unreachable }, results })
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
        const { readiness } = judgeTarget(target, object, facts(), memory.unschedulableSince, settings)
        if (readiness.state === 'Current')
          memory = {
            ...memory,
            readyAt: new Map(memory.readyAt).set(key, memory.readyAt.get(key) ?? Date.now() - startedAt)
          }
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
    for (const { path, apiVersion, kind } of collections) {
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
          const refused = failedCreateEvent(event)
          if (refused) {
            const known = failedCreates.get(refused.key)
            if (!known || known.at <= refused.at) failedCreates.set(refused.key, refused)
            schedule()
          }
          const said = autoscalerEvent(event)
          if (!said) return
          autoscalerEvents.set(said.pod, { reason: said.reason, message: said.message })
          schedule()
        },
        // Said once: a refused first list reports here, then rejects the promise below.
        onError: error =>
          options.log(
            cannotRead(
              `events in ${namespace}`,
              error,
              'autoscaler decisions, and pods a StatefulSet, DaemonSet or Job cannot create, are not seen'
            )
          )
      }).catch(() => undefined)
    }
    Promise.all(starts).then(() => {
      listed = true
      // Not in the first list: deleted between the apply and the wait.
      for (const target of watched) {
        const key = objectKey(target.object)
        if (!seen.has(key)) deleted.add(key)
      }
      schedule()
    }, onError)
  })
}
