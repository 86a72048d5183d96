/**
 * Soak: after the smoke checks pass, the stage keeps watching the new revision
 * for the `soak` duration before it calls the release good. Its pods are read
 * every 2 s and judged against how they were when the soak began (a restart, an
 * OOM kill, readiness lost, an eviction: soak-rules.ts); the smoke checks run
 * again every `soak-interval`. The first problem ends the stage with its own
 * failure reason, and the caller's rollback puts the previous version back.
 * Not loaded, and no request made, when `soak` is not set.
 */
import type { V1Pod } from '@kubernetes/client-node'
import { StageError } from '../errors.js'
import { formatDuration } from '../duration.js'
import type { KubeClient } from '../kube/client.js'
import { fetchLogTail } from '../kube/wait-reads.js'
import type { SoakRecord } from '../report/record.js'
import { soakBaseline, soakedPods, soakProblem, type SoakProblem } from './soak-rules.js'

const POLL_MS = 2_000

export interface SoakOptions {
  namespace: string
  durationMs: number
  intervalMs: number
  /** The rolled-out pods of every workload, as the wait last saw them. */
  pods: readonly V1Pod[]
  /** One round of the smoke checks; the names of those that failed (none: passed). Absent without smoke checks. */
  smokeRound?: () => Promise<string[]>
  log: (line: string) => void
  /** Written as the soak goes, so a failure still says what was watched. */
  record: SoakRecord
  /** Stops the soak (the analysis beside it failed). */
  signal?: AbortSignal
}

export async function soak(client: KubeClient, options: SoakOptions): Promise<void> {
  const { record, log } = options
  const baseline = soakBaseline(options.pods)
  const started = Date.now()
  const ends = started + options.durationMs
  let nextRound = started + options.intervalMs
  let nextLog = started + options.intervalMs
  record.pods = options.pods.length
  const path = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods`
  log(
    `Soak: watching ${options.pods.length} pod(s) of the new revision for ${formatDuration(options.durationMs)}${
      options.smokeRound ? `, smoke checks every ${formatDuration(options.intervalMs)}` : ''
    }`
  )
  for (;;) {
    const now = Date.now()
    record.watchedMs = now - started
    const pods = (await client.getJson<{ items: V1Pod[] }>(path)).items ?? []
    const problem = soakProblem(baseline, pods)
    if (problem) throw await soakFailure(client, options, problem, record)
    if (now >= ends || options.signal?.aborted) break
    if (options.smokeRound && now >= nextRound) {
      const failed = await options.smokeRound()
      if (failed.length > 0) {
        record.failure = `smoke check ${failed[0]} failed ${formatDuration(Date.now() - started)} into the soak`
        throw new StageError(
          'SmokeFailed',
          `Soak: ${failed.length} smoke check(s) failed ${formatDuration(Date.now() - started)} into the soak; first, "${failed[0]}"`,
          { details: failed }
        )
      }
      record.rounds++
      nextRound = Date.now() + options.intervalMs
    }
    if (now >= nextLog) {
      log(
        `Soak: ${formatDuration(now - started)} of ${formatDuration(options.durationMs)}, ${soakedPods(baseline, pods).length} pod(s) steady${
          options.smokeRound ? `, ${record.rounds} smoke round(s) passed` : ''
        }`
      )
      nextLog = now + options.intervalMs
    }
    await new Promise(resolve => setTimeout(resolve, Math.max(0, Math.min(POLL_MS, ends - Date.now()))))
  }
  record.watchedMs = Date.now() - started
  if (options.signal?.aborted) return
  record.passed = true
  log(
    `Soak passed: ${record.pods} pod(s) steady for ${formatDuration(record.watchedMs)}${
      options.smokeRound ? `, ${record.rounds} smoke round(s) passed` : ''
    }`
  )
}

async function soakFailure(
  client: KubeClient,
  options: SoakOptions,
  problem: SoakProblem,
  record: SoakRecord
): Promise<StageError> {
  const at = formatDuration(record.watchedMs)
  record.failure = `${problem.reason}, ${at} into the soak`
  const logTail =
    problem.container && problem.code !== 'ReadinessLost'
      ? await fetchLogTail(client, options.namespace, {
          code: problem.code,
          reason: problem.reason,
          pod: problem.pod,
          container: problem.container,
          wantsLogs: true,
          previousLogs: problem.reason.includes(' restarted')
        }).catch(() => undefined)
      : undefined
  return new StageError(
    problem.code,
    `Soak: ${problem.reason}, ${at} into the soak (the release had passed its smoke checks)`,
    {
      evidence: logTail
        ? [{ title: `Last log lines of ${problem.pod}/${problem.container}`, text: logTail }]
        : []
    }
  )
}
