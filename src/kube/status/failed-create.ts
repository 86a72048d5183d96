/**
 * Pods that StatefulSet, DaemonSet and Job controllers cannot create. A
 * Deployment says so in its ReplicaSet's ReplicaFailure condition; these three
 * say it only in Events (reason FailedCreate) about themselves. The event is
 * believed only from the kind's own controller, and only when it is newer than
 * the object's last write (both on the API server's clock): an event left from
 * an earlier rollout says nothing about this one. Pure.
 */
import type { V1Pod } from '@kubernetes/client-node'
import type { KubeObject } from '../../manifests/types.js'
import type { Readiness } from './types.js'
import { refusedPods } from './workload.js'

/** Each kind that reports refused pods only in Events, and the controller that reports them. */
export const FAILED_CREATE_REPORTERS: Readonly<Record<string, string>> = {
  StatefulSet: 'statefulset-controller',
  DaemonSet: 'daemonset-controller',
  Job: 'job-controller'
}

export interface FailedCreate {
  /** namespace/kind/name of the object the event is about. */
  key: string
  message: string
  /** When it last happened, on the API server's clock (ms). */
  at: number
}

export const failedCreateKey = (namespace: string | undefined, kind: string, name: string) =>
  `${namespace ?? ''}/${kind}/${name}`

const time = (text: unknown) => (typeof text === 'string' ? Date.parse(text) : NaN)

/** A controller saying it could not create a pod of its object; undefined for any other event. */
export function failedCreateEvent(event: unknown): FailedCreate | undefined {
  const e = event as {
    involvedObject?: { kind?: string; name?: string; namespace?: string }
    reason?: string
    message?: string
    source?: { component?: string }
    reportingComponent?: string
    lastTimestamp?: string
    eventTime?: string
    firstTimestamp?: string
    series?: { lastObservedTime?: string }
  }
  const kind = e.involvedObject?.kind
  if (e.reason !== 'FailedCreate' || !kind || !e.involvedObject?.name) return undefined
  const reporter = FAILED_CREATE_REPORTERS[kind]
  if (!reporter || (e.source?.component || e.reportingComponent) !== reporter) return undefined
  const at = [e.series?.lastObservedTime, e.lastTimestamp, e.eventTime, e.firstTimestamp]
    .map(time)
    .find(t => !Number.isNaN(t))
  if (at === undefined) return undefined
  return {
    key: failedCreateKey(e.involvedObject.namespace, kind, e.involvedObject.name),
    message: e.message ?? 'FailedCreate',
    at
  }
}

/** When the object was last written, on the API server's clock (managedFields times have second precision). */
export function lastWritten(object: KubeObject): number | undefined {
  const managed = (object.metadata as { managedFields?: { time?: string }[] }).managedFields ?? []
  const times = [
    ...managed.map(m => time(m.time)),
    time((object.metadata as { creationTimestamp?: string }).creationTimestamp)
  ].filter(t => !Number.isNaN(t))
  return times.length ? Math.max(...times) : undefined
}

/**
 * The object's verdict from its controller's FailedCreate event: refused by
 * admission or over quota (unless pods of the namespace are terminating and
 * will give their share back), as a Deployment's ReplicaFailure is judged.
 */
export function refusedByEvent(
  object: KubeObject,
  event: FailedCreate | undefined,
  podsOfNamespace: readonly V1Pod[]
): Readiness | undefined {
  if (!event || !(object.kind in FAILED_CREATE_REPORTERS)) return undefined
  const written = lastWritten(object)
  // An event from before the stage's write is about an earlier rollout.
  if (written === undefined || event.at < written) return undefined
  return refusedPods({ status: 'True', reason: 'FailedCreate', message: event.message }, podsOfNamespace)
}
