/**
 * Pod diagnosis: is a pod doomed (it will not become ready without someone
 * changing something), and if not, what it is waiting for. Shared by every
 * rule that owns pods. Pure.
 */
import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node'
import { findCondition, plural, type ResourceFailure } from './types.js'

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'])
const CONTAINER_CONFIG = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError'])
/** A container that could not even be started (bad command, bad mount): a config problem, not a crash. */
const START_FAILURE = new Set(['StartError', 'ContainerCannotRun'])
/** Controllers that create a new pod when one ends up Failed (evicted, node gone). */
const REPLACING_OWNERS = new Set(['ReplicaSet', 'StatefulSet', 'DaemonSet', 'ReplicationController', 'Job'])

export interface DiagnoseOptions {
  /**
   * A controller retries crashes (a Job, up to its backoffLimit), so a crash
   * loop or a failed pod is not final: the controller's own condition is.
   * Default: true for pods controlled by a Job.
   */
  crashesAreRetried?: boolean
  /** A Failed pod is replaced by its controller. Default: true for pods of a workload controller. */
  failedPodsAreReplaced?: boolean
}

function controllerKind(pod: V1Pod): string | undefined {
  return pod.metadata?.ownerReferences?.find(ref => ref.controller)?.kind
}

function specOf(pod: V1Pod, name: string): V1Container | undefined {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(c => c.name === name)
}

function isSidecar(pod: V1Pod, name: string): boolean {
  return pod.spec?.initContainers?.find(c => c.name === name)?.restartPolicy === 'Always'
}

function allStatuses(pod: V1Pod): V1ContainerStatus[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
}

function detail(reason: string, message: string | undefined): string {
  return message ? `${reason}: ${message}` : reason
}

function diagnoseContainer(
  pod: V1Pod,
  podName: string,
  status: V1ContainerStatus,
  crashesAreRetried: boolean
): ResourceFailure | undefined {
  const waiting = status.state?.waiting
  const reason = waiting?.reason
  const base = {
    pod: podName,
    container: status.name,
    restartCount: status.restartCount,
    waitingReason: reason
  }
  const startFailure = [status.state?.terminated, status.lastState?.terminated].find(
    t => t?.reason !== undefined && START_FAILURE.has(t.reason)
  )
  if (startFailure) {
    return {
      ...base,
      code: 'ContainerConfig',
      exitCode: startFailure.exitCode,
      reason: `pod ${podName}: container ${status.name} cannot start (${detail(startFailure.reason!, startFailure.message)})`
    }
  }
  if (!reason) return undefined
  if (IMAGE_PULL.has(reason)) {
    // Before the first pull the status may not name the image yet; the spec always does.
    const image = status.image || specOf(pod, status.name)?.image
    return {
      ...base,
      code: 'ImagePull',
      reason: `pod ${podName}: container ${status.name} cannot pull image ${image ? `"${image}" ` : ''}(${detail(reason, waiting.message)})`
    }
  }
  if (CONTAINER_CONFIG.has(reason)) {
    return {
      ...base,
      code: 'ContainerConfig',
      reason: `pod ${podName}: container ${status.name} cannot be created (${detail(reason, waiting.message)})`
    }
  }
  if (reason === 'CrashLoopBackOff' && !crashesAreRetried) {
    const last = status.lastState?.terminated
    const how = [
      plural(status.restartCount ?? 0, 'restart'),
      last ? `last exit code ${last.exitCode}` : '',
      last?.reason && last.reason !== 'Error' ? last.reason : ''
    ]
      .filter(Boolean)
      .join(', ')
    return {
      ...base,
      code: 'CrashLoop',
      exitCode: last?.exitCode,
      wantsLogs: true,
      previousLogs: true,
      reason: `pod ${podName}: container ${status.name} is crash-looping (${how})`
    }
  }
  return undefined
}

/**
 * Why the pod is doomed, or undefined while it may still become ready. A pod
 * being deleted is going away, so its troubles are nobody's failure.
 */
export function diagnosePod(pod: V1Pod, options: DiagnoseOptions = {}): ResourceFailure | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined
  const name = pod.metadata?.name ?? '?'
  const owner = controllerKind(pod)
  const crashesAreRetried = options.crashesAreRetried ?? owner === 'Job'
  const failedPodsAreReplaced =
    options.failedPodsAreReplaced ?? (owner !== undefined && REPLACING_OWNERS.has(owner))

  for (const status of allStatuses(pod)) {
    const failure = diagnoseContainer(pod, name, status, crashesAreRetried)
    if (failure) return failure
  }

  const scheduled = findCondition(pod.status?.conditions, 'PodScheduled')
  // With a nominated node the scheduler is preempting lower-priority pods to make room.
  if (
    scheduled?.status === 'False' &&
    scheduled.reason === 'Unschedulable' &&
    !pod.status?.nominatedNodeName
  ) {
    return {
      pod: name,
      code: 'Unschedulable',
      reason: `pod ${name} cannot be scheduled: ${scheduled.message ?? 'Unschedulable'}`
    }
  }

  if (pod.status?.phase === 'Failed' && !failedPodsAreReplaced && !crashesAreRetried) {
    const crashed = allStatuses(pod).find(s => (s.state?.terminated?.exitCode ?? 0) !== 0)
    const terminated = crashed?.state?.terminated
    const why = pod.status.reason ? ` (${detail(pod.status.reason, pod.status.message)})` : ''
    return {
      pod: name,
      code: 'ResourceFailed',
      container: crashed?.name,
      exitCode: terminated?.exitCode,
      restartCount: crashed?.restartCount,
      wantsLogs: crashed !== undefined,
      reason: `pod ${name} failed${why}${crashed ? `: container ${crashed.name} exited with code ${terminated!.exitCode}${terminated!.reason && terminated!.reason !== 'Error' ? ` (${terminated!.reason})` : ''}` : ''}`
    }
  }
  return undefined
}

export function isPodReady(pod: V1Pod): boolean {
  return findCondition(pod.status?.conditions, 'Ready')?.status === 'True'
}

function describeContainer(status: V1ContainerStatus): string | undefined {
  const { waiting, running, terminated } = status.state ?? {}
  if (waiting) return `container ${status.name}: ${waiting.reason ?? 'waiting'}`
  if (terminated) {
    const reason = terminated.reason ? `${terminated.reason}, ` : ''
    return `container ${status.name}: terminated (${reason}exit code ${terminated.exitCode})`
  }
  if (running && status.started === false)
    return `container ${status.name}: running, startup probe not passed yet`
  if (running && !status.ready) return `container ${status.name}: running, readiness probe not passing yet`
  return undefined
}

/** What a pod that is not ready is waiting for, in a few words: "pod web-7d9-abc: not ready (container web: ContainerCreating)". */
export function describePodProgress(pod: V1Pod): string {
  const name = `pod ${pod.metadata?.name ?? '?'}`
  const status = pod.status
  if (pod.metadata?.deletionTimestamp) return `${name}: terminating`
  if (status?.phase === 'Succeeded') return `${name}: completed`
  if (status?.phase === 'Failed') {
    const crashed = allStatuses(pod).find(s => (s.state?.terminated?.exitCode ?? 0) !== 0)
    const why = crashed ? describeContainer(crashed) : status.reason
    return `${name}: failed${why ? ` (${why})` : ''}`
  }

  const scheduled = findCondition(status?.conditions, 'PodScheduled')
  if (!pod.spec?.nodeName && scheduled?.status !== 'True') {
    return scheduled?.status === 'False' && scheduled.message
      ? `${name}: Pending (not scheduled: ${scheduled.message})`
      : `${name}: Pending (not scheduled yet)`
  }

  // Init containers run one after another before any other container starts; sidecars keep running.
  for (const init of status?.initContainerStatuses ?? []) {
    if (isSidecar(pod, init.name)) {
      const problem = describeContainer(init)
      if (problem) return `${name}: initializing (sidecar ${problem})`
      continue
    }
    if (init.state?.terminated?.exitCode === 0) continue
    if (init.state?.running) return `${name}: initializing (init container ${init.name} running)`
    const problem = describeContainer(init)
    return `${name}: initializing (init ${problem ?? `container ${init.name}: not started`})`
  }

  const containers = status?.containerStatuses ?? []
  if (!containers.length) return `${name}: ${status?.phase ?? 'Pending'} (containers not created yet)`
  for (const container of containers) {
    const problem = describeContainer(container)
    if (problem) return `${name}: not ready (${problem})`
  }
  const ready = findCondition(status?.conditions, 'Ready')
  if (ready?.status === 'True') return `${name}: ready`
  // Every container is ready, yet the pod is not: readiness gates, or the kubelet has not reported yet.
  return `${name}: not ready${ready?.reason || ready?.message ? ` (${detail(ready.reason ?? 'Ready', ready.message)})` : ''}`
}
