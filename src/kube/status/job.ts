/**
 * Job: its own Complete/Failed conditions decide. A crashing pod is normal
 * until the backoff limit (the controller retries), so only pods that no retry
 * can fix (image pull, container config, unschedulable) fail it early. Pure.
 */
import type { V1ContainerStateTerminated, V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node'
import { podsOf } from './related.js'
import {
  conditionText,
  current,
  failed,
  findCondition,
  inProgress,
  type Condition,
  type KubeResource,
  type Readiness,
  type ReadinessContext,
  type ResourceFailure
} from './types.js'
import { workloadInProgress } from './workload.js'

interface Crash {
  pod: V1Pod
  container: V1ContainerStatus
  terminated: V1ContainerStateTerminated
}

/** Timestamps arrive as strings; tolerate Date objects from typed clients too. */
function time(value: Date | string | undefined): number {
  if (value === undefined) return 0
  const ms = value instanceof Date ? value.getTime() : Date.parse(value)
  return Number.isNaN(ms) ? 0 : ms
}

/** The most recent non-zero container exit among the Job's pods: the one whose log explains the failure. */
function lastCrash(pods: readonly V1Pod[]): Crash | undefined {
  const crashes: Crash[] = []
  for (const pod of pods) {
    for (const container of [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? [])
    ]) {
      for (const terminated of [container.state?.terminated, container.lastState?.terminated]) {
        if (terminated && terminated.exitCode !== 0) crashes.push({ pod, container, terminated })
      }
    }
  }
  return crashes.reduce<Crash | undefined>(
    (latest, crash) =>
      latest === undefined || time(crash.terminated.finishedAt) > time(latest.terminated.finishedAt)
        ? crash
        : latest,
    undefined
  )
}

function jobFailure(condition: Condition, pods: readonly V1Pod[]): ResourceFailure {
  const crash = lastCrash(pods)
  const where = crash
    ? `; last failure: pod ${crash.pod.metadata?.name} container ${crash.container.name} exited with code ${crash.terminated.exitCode}${crash.terminated.reason && crash.terminated.reason !== 'Error' ? ` (${crash.terminated.reason})` : ''}`
    : ''
  return {
    code: 'JobFailed',
    reason: `job failed: ${conditionText(condition)}${where}`,
    pod: crash?.pod.metadata?.name,
    container: crash?.container.name,
    exitCode: crash?.terminated.exitCode,
    restartCount: crash?.container.restartCount,
    // The crash may be the container's current state (restartPolicy Never) or the one before it restarted.
    previousLogs: crash !== undefined && crash.terminated !== crash.container.state?.terminated,
    wantsLogs: crash !== undefined
  }
}

export function jobReadiness(job: V1Job, context: ReadinessContext): Readiness {
  const conditions = job.status?.conditions
  const status = job.status ?? {}
  const isTrue = (type: string) => {
    const condition = findCondition(conditions, type)
    return condition?.status === 'True' ? condition : undefined
  }
  if (isTrue('Complete')) return current(`completed (${status.succeeded ?? 0} succeeded)`)
  // SuccessCriteriaMet / FailureTarget come first, while the remaining pods are still being terminated.
  if (isTrue('SuccessCriteriaMet')) return current('succeeded (success policy met)')

  const pods = podsOf({ ...job, kind: 'Job' } as KubeResource, context)
  const failure = isTrue('Failed') ?? isTrue('FailureTarget')
  if (failure) return failed(jobFailure(failure, pods))
  if (job.spec?.suspend) return inProgress('suspended (spec.suspend is true)')

  const completions = job.spec?.completions ?? 1
  const backoffLimit = job.spec?.backoffLimit
  const progress =
    `${status.succeeded ?? 0} of ${completions} completions, ${status.active ?? 0} active, ${status.failed ?? 0} failed` +
    (backoffLimit !== undefined ? ` (backoff limit ${backoffLimit})` : '')
  // The attempt running now explains the wait better than the ones that already failed.
  const byAttempt = [...pods].sort(
    (a, b) => Number(a.status?.phase === 'Failed') - Number(b.status?.phase === 'Failed')
  )
  return workloadInProgress(progress, byAttempt, [], { crashesAreRetried: true })
}
