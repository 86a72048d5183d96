/**
 * Readiness of pod-owning workloads, with kubectl rollout status's done
 * criteria, plus fail-fast on doomed pods of the revision being rolled out
 * (pods of an old revision failing must not fail the rollout that replaces them). Pure.
 */
import { describePodProgress, diagnosePod, isPodReady, ownedBy } from './pod.js'
import {
  condition,
  current,
  failed,
  generationPending,
  inProgress,
  type Json,
  type Readiness,
  type ReadinessContext
} from './types.js'

const REVISION = 'deployment.kubernetes.io/revision'

/** The first doomed pod fails the workload; otherwise the first unready pod explains the wait. */
function judgePods(pods: Json[], waiting: string, crashesAreFinal = true): Readiness {
  for (const pod of pods) {
    const failure = diagnosePod(pod, { crashesAreFinal })
    if (failure) return failed(failure)
  }
  const unready = pods.find(p => !isPodReady(p))
  return inProgress(unready ? `${waiting}; ${describePodProgress(unready)}` : waiting)
}

export function newReplicaSet(deployment: Json, replicaSets: Json[]): Json | undefined {
  const revision = deployment.metadata?.annotations?.[REVISION]
  return replicaSets.find(
    rs =>
      ownedBy(rs, deployment) && revision !== undefined && rs.metadata?.annotations?.[REVISION] === revision
  )
}

export function deploymentReadiness(deployment: Json, context: ReadinessContext): Readiness {
  const pending = generationPending(deployment)
  if (pending) return pending
  const progressing = condition(deployment, 'Progressing')
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return failed({
      code: 'ProgressDeadline',
      reason: `exceeded its progress deadline: ${progressing.message ?? ''}`.trim()
    })
  }
  const replicas = deployment.spec?.replicas ?? 1
  const status = deployment.status ?? {}
  const updated = status.updatedReplicas ?? 0
  const total = status.replicas ?? 0
  const available = status.availableReplicas ?? 0
  const rs = newReplicaSet(deployment, context.replicaSets)
  const newPods = rs ? context.pods.filter(p => ownedBy(p, rs)) : []
  if (updated < replicas) return judgePods(newPods, `${updated} of ${replicas} updated replicas created`)
  if (total > updated) return judgePods(newPods, `waiting for ${total - updated} old replica(s) to terminate`)
  if (available < updated) return judgePods(newPods, `${available} of ${replicas} updated replicas available`)
  return current(`${available} of ${replicas} replicas available`)
}

export function statefulSetReadiness(sts: Json, context: ReadinessContext): Readiness {
  const pending = generationPending(sts)
  if (pending) return pending
  if (sts.spec?.updateStrategy?.type === 'OnDelete')
    return current('OnDelete update strategy: pods are replaced by hand')
  const replicas = sts.spec?.replicas ?? 1
  const status = sts.status ?? {}
  const ready = status.readyReplicas ?? 0
  const updated = status.updatedReplicas ?? 0
  const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0
  const pods = context.pods.filter(
    p => ownedBy(p, sts) && p.metadata?.labels?.['controller-revision-hash'] === status.updateRevision
  )
  if (partition > 0 && updated < replicas - partition) {
    return judgePods(
      pods,
      `${updated} of ${replicas - partition} replicas above partition ${partition} updated`
    )
  }
  if (ready < replicas) return judgePods(pods, `${ready} of ${replicas} replicas ready`)
  if (partition === 0 && (updated < replicas || status.currentRevision !== status.updateRevision)) {
    return judgePods(pods, `rolling update: ${updated} of ${replicas} replicas updated`)
  }
  return current(`${ready} of ${replicas} replicas ready`)
}

export function daemonSetReadiness(ds: Json, context: ReadinessContext): Readiness {
  const pending = generationPending(ds)
  if (pending) return pending
  if (ds.spec?.updateStrategy?.type === 'OnDelete')
    return current('OnDelete update strategy: pods are replaced by hand')
  const status = ds.status ?? {}
  const desired = status.desiredNumberScheduled ?? 0
  const updated = status.updatedNumberScheduled ?? 0
  const available = status.numberAvailable ?? 0
  const generation = String(ds.metadata?.generation ?? '')
  const pods = context.pods.filter(
    p => ownedBy(p, ds) && (p.metadata?.labels?.['pod-template-generation'] ?? generation) === generation
  )
  if (updated < desired) return judgePods(pods, `${updated} of ${desired} scheduled pods updated`)
  if (available < desired) return judgePods(pods, `${available} of ${desired} pods available`)
  return current(`${available} of ${desired} pods available`)
}

export function replicaSetReadiness(rs: Json, context: ReadinessContext): Readiness {
  const pending = generationPending(rs)
  if (pending) return pending
  const replicas = rs.spec?.replicas ?? 1
  const available = rs.status?.availableReplicas ?? 0
  if (available < replicas)
    return judgePods(
      context.pods.filter(p => ownedBy(p, rs)),
      `${available} of ${replicas} replicas available`
    )
  return current(`${available} of ${replicas} replicas available`)
}

export function jobReadiness(job: Json, context: ReadinessContext): Readiness {
  const complete = condition(job, 'Complete')
  if (complete?.status === 'True') return current(`completed (${job.status?.succeeded ?? 0} succeeded)`)
  const jobFailed = condition(job, 'Failed')
  if (jobFailed?.status === 'True') {
    const pods = context.pods.filter(p => ownedBy(p, job))
    const crashed = pods
      .map(p => ({
        pod: p,
        status: [...(p.status?.containerStatuses ?? [])].find((s: Json) => s.state?.terminated?.exitCode)
      }))
      .find(x => x.status)
    return failed({
      code: 'JobFailed',
      reason: `failed: ${jobFailed.reason ?? 'Failed'}${jobFailed.message ? ` (${jobFailed.message})` : ''}`,
      pod: crashed?.pod.metadata?.name,
      container: crashed?.status?.name,
      exitCode: crashed?.status?.state?.terminated?.exitCode,
      wantsLogs: crashed !== undefined
    })
  }
  const completions = job.spec?.completions ?? 1
  const status = job.status ?? {}
  // A crashing Job pod is retried up to backoffLimit: only the Job's Failed condition is final.
  return judgePods(
    context.pods.filter(p => ownedBy(p, job) && p.status?.phase !== 'Failed'),
    `${status.succeeded ?? 0} of ${completions} completions, ${status.active ?? 0} active, ${status.failed ?? 0} failed`,
    false
  )
}

export function podReadiness(pod: Json): Readiness {
  const restartPolicy = pod.spec?.restartPolicy ?? 'Always'
  if (pod.status?.phase === 'Succeeded' && restartPolicy !== 'Always') return current('completed')
  const failure = diagnosePod(pod)
  if (failure) return failed(failure)
  if (isPodReady(pod)) return current('ready')
  return inProgress(describePodProgress(pod))
}
