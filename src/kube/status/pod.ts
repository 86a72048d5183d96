/**
 * Pod diagnosis: is a pod doomed (it will never become ready without a
 * change), and if not, what is it waiting for. Pure.
 */
import { condition, type Json, type ResourceFailure } from './types.js'

const IMAGE_PULL = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable'
])
const CONFIG = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError'])

function statusesOf(pod: Json): Json[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
}

export interface DiagnoseOptions {
  /** Job pods crash and retry until the backoff limit: the Job's own condition decides. */
  crashesAreFinal: boolean
}

export function diagnosePod(
  pod: Json,
  options: DiagnoseOptions = { crashesAreFinal: true }
): ResourceFailure | undefined {
  const name = pod.metadata?.name
  for (const status of statusesOf(pod)) {
    const waiting = status.state?.waiting
    const reason: string | undefined = waiting?.reason
    if (!reason) continue
    const base = {
      pod: name,
      container: status.name,
      waitingReason: reason,
      restartCount: status.restartCount
    }
    if (reason === 'CrashLoopBackOff' && options.crashesAreFinal) {
      const exitCode = status.lastState?.terminated?.exitCode
      return {
        ...base,
        code: 'CrashLoop',
        exitCode,
        wantsLogs: true,
        reason: `pod ${name}: container ${status.name} is crash-looping (CrashLoopBackOff, ${status.restartCount ?? 0} restarts, last exit code ${exitCode ?? '?'})`
      }
    }
    if (IMAGE_PULL.has(reason)) {
      return {
        ...base,
        code: 'ImagePull',
        reason: `pod ${name}: container ${status.name} cannot pull its image (${reason}${waiting.message ? `: ${waiting.message}` : ''})`
      }
    }
    if (CONFIG.has(reason)) {
      return {
        ...base,
        code: 'ContainerConfig',
        reason: `pod ${name}: container ${status.name} cannot start (${reason}${waiting.message ? `: ${waiting.message}` : ''})`
      }
    }
  }
  const scheduled = condition(pod, 'PodScheduled')
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return {
      pod: name,
      code: 'Unschedulable',
      reason: `pod ${name} cannot be scheduled: ${scheduled.message ?? 'Unschedulable'}`
    }
  }
  if (pod.status?.phase === 'Failed' && options.crashesAreFinal) {
    const terminated = statusesOf(pod).find(s => s.state?.terminated && s.state.terminated.exitCode !== 0)
    return {
      pod: name,
      container: terminated?.name,
      exitCode: terminated?.state?.terminated?.exitCode,
      code: 'ResourceFailed',
      wantsLogs: terminated !== undefined,
      reason: `pod ${name} failed${pod.status?.reason ? ` (${pod.status.reason})` : ''}${terminated ? `: container ${terminated.name} exited with code ${terminated.state.terminated.exitCode}` : ''}`
    }
  }
  return undefined
}

export function isPodReady(pod: Json): boolean {
  return condition(pod, 'Ready')?.status === 'True'
}

/** What a pod that is not ready is waiting for, in a few words. */
export function describePodProgress(pod: Json): string {
  const name = pod.metadata?.name
  if (pod.metadata?.deletionTimestamp) return `pod ${name}: terminating`
  if (!pod.spec?.nodeName) return `pod ${name}: Pending (not scheduled yet)`
  const waiting = statusesOf(pod).find(s => s.state?.waiting)
  if (waiting)
    return `pod ${name}: not ready (container ${waiting.name}: ${waiting.state.waiting.reason ?? 'waiting'})`
  const unready = statusesOf(pod).find(s => s.ready === false)
  if (unready) return `pod ${name}: not ready (container ${unready.name} running, readiness failing)`
  return `pod ${name}: ${pod.status?.phase ?? 'Pending'}`
}

export function ownedBy(object: Json, owner: Json): boolean {
  const uid = owner.metadata?.uid
  return (
    uid !== undefined &&
    (object.metadata?.ownerReferences as Json[] | undefined)?.some(r => r.uid === uid) === true
  )
}
