/**
 * What a soak watches for in the pods of the new revision, once they were all
 * ready and the smoke checks passed: a container restarting (an OOM kill named
 * as such), a pod losing readiness, a pod evicted. Each is judged against the
 * pods as they were when the soak began. Pure.
 */
import type { V1Pod } from '@kubernetes/client-node'
import type { FailureCode } from '../errors.js'

export interface SoakBaseline {
  /** uids of the controllers (ReplicaSets, StatefulSets, DaemonSets) of the new revision's pods. */
  owners: ReadonlySet<string>
  /** pod uid → container name → restart count when the soak began (new pods start at 0). */
  restarts: ReadonlyMap<string, ReadonlyMap<string, number>>
}

export interface SoakProblem {
  code: Extract<FailureCode, 'PodRestarted' | 'OOMKilled' | 'ReadinessLost' | 'Evicted'>
  reason: string
  pod: string
  container?: string
}

const ownerOf = (pod: V1Pod) => pod.metadata?.ownerReferences?.find(o => o.controller)?.uid

/** The rolled-out pods a soak starts from. */
export function soakBaseline(pods: readonly V1Pod[]): SoakBaseline {
  return {
    owners: new Set(pods.map(ownerOf).filter((uid): uid is string => Boolean(uid))),
    restarts: new Map(
      pods.map(pod => [
        pod.metadata?.uid ?? '',
        new Map((pod.status?.containerStatuses ?? []).map(c => [c.name, c.restartCount ?? 0]))
      ])
    )
  }
}

/** The pods of the new revision among those listed now: same controllers, or the very pods. */
export function soakedPods(baseline: SoakBaseline, pods: readonly V1Pod[]): V1Pod[] {
  return pods.filter(pod => {
    const owner = ownerOf(pod)
    return (owner && baseline.owners.has(owner)) || baseline.restarts.has(pod.metadata?.uid ?? '')
  })
}

/** The first thing wrong with the new revision's pods now, if any. */
export function soakProblem(baseline: SoakBaseline, pods: readonly V1Pod[]): SoakProblem | undefined {
  for (const pod of soakedPods(baseline, pods)) {
    const name = pod.metadata?.name ?? '?'
    if (pod.metadata?.deletionTimestamp) continue // scaled down or replaced on purpose
    if (pod.status?.reason === 'Evicted')
      return {
        code: 'Evicted',
        pod: name,
        reason: `pod ${name} was evicted: ${pod.status.message ?? 'Evicted'}`
      }
    const before = baseline.restarts.get(pod.metadata?.uid ?? '')
    for (const status of pod.status?.containerStatuses ?? []) {
      // A container that has stopped counts at once: its restart is only the kubelet's next step.
      const restarted = (status.restartCount ?? 0) > (before?.get(status.name) ?? 0)
      const ended = status.state?.terminated ?? (restarted ? status.lastState?.terminated : undefined)
      if (!restarted && !ended) continue
      const exit = ended ? ` (exit code ${ended.exitCode}${ended.reason ? `, ${ended.reason}` : ''})` : ''
      const oom = ended?.reason === 'OOMKilled'
      return {
        code: oom ? 'OOMKilled' : 'PodRestarted',
        pod: name,
        container: status.name,
        reason: oom
          ? `container ${status.name} of pod ${name} was killed for using more memory than its limit${exit}`
          : `container ${status.name} of pod ${name} ${restarted ? 'restarted' : 'stopped'}${exit}`
      }
    }
    // A pod made since (a replacement) is still starting: only the soaked pods' readiness counts.
    const ready = pod.status?.conditions?.find(c => c.type === 'Ready')
    if (before && ready?.status === 'False')
      return {
        code: 'ReadinessLost',
        pod: name,
        reason: `pod ${name} is no longer ready${ready.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ''})` : ''}`
      }
  }
  return undefined
}
