/**
 * Pre-deploy Jobs (migrations): which Jobs run to completion before any
 * workload of the stage is applied, in what order, within what time budget,
 * and what a stage does with one it finds in the cluster. Pure.
 */
import { formatDuration, parseDuration } from '../duration.js'
import type { Problem } from './problems.js'
import { isPreDeployHook, replacesHook } from './hooks.js'
import type { KubeObject, LoadedManifest } from './types.js'

/** `"true"` on a Job: run it to completion before the stage's workloads are applied. */
export const PRE_DEPLOY_ANNOTATION = 'kube-stage.dev/pre-deploy'
/** A Job's own time budget (`90s`, `5m`); over it, the stage fails with MigrationTooSlow. */
export const TIME_BUDGET_ANNOTATION = 'kube-stage.dev/time-budget'
const HELM_HOOK_WEIGHT = 'helm.sh/hook-weight'

export function isPreDeployJob(object: KubeObject): boolean {
  if (object.kind !== 'Job') return false
  if (object.metadata.annotations?.[PRE_DEPLOY_ANNOTATION]?.trim().toLowerCase() === 'true') return true
  return isPreDeployHook(object)
}

/** Helm's hook-weight first (lowest runs first, as Helm does), then the manifests' order. */
export function preDeployOrder<T extends { object: KubeObject }>(jobs: T[]): T[] {
  const weight = (o: KubeObject) => Number(o.metadata.annotations?.[HELM_HOOK_WEIGHT] ?? 0) || 0
  return jobs
    .map((job, index) => ({ job, index }))
    .sort((a, b) => weight(a.job.object) - weight(b.job.object) || a.index - b.index)
    .map(({ job }) => job)
}

/** The Job's budget in ms: its annotation, else the stage's default (undefined: none). */
export function timeBudget(object: KubeObject, defaultMs: number | undefined): number | undefined {
  const text = object.metadata.annotations?.[TIME_BUDGET_ANNOTATION]
  return text === undefined ? defaultMs : parseDuration(text)
}

/** A budget annotation that is not a duration is refused before anything is written. */
export function checkTimeBudgets(manifests: LoadedManifest[]): Problem[] {
  return manifests.flatMap(({ object, source }) => {
    if (!isPreDeployJob(object)) return []
    const text = object.metadata.annotations?.[TIME_BUDGET_ANNOTATION]
    if (text === undefined) return []
    const ms = parseDuration(text)
    if (ms !== undefined && ms > 0) return []
    return [
      {
        location: source,
        message: `Job/${object.metadata.name}: ${TIME_BUDGET_ANNOTATION} must be a positive duration such as 90s or 5m, not "${text}"`
      }
    ]
  })
}

interface JobCondition {
  type: string
  status: string
}

function hasCondition(job: KubeObject | undefined, type: string): boolean {
  const conditions = (job?.status as { conditions?: JobCondition[] } | undefined)?.conditions ?? []
  return conditions.some(c => c.type === type && c.status === 'True')
}

/**
 * A Job's template cannot be updated: a changed pre-deploy Job is deleted and
 * created again, and so is an unchanged one that failed (running the stage
 * again means running the migration again). An unchanged one that succeeded
 * stays as it is. Post-deploy hook Jobs follow their delete policy (hooks.ts).
 */
export function mustReplace(desired: KubeObject, live: KubeObject, unchanged: boolean): boolean {
  if (replacesHook(desired, unchanged, hasCondition(live, 'Failed'))) return true
  return isPreDeployJob(desired) && (!unchanged || hasCondition(live, 'Failed'))
}

export type PreDeployStep =
  /** Already ran to completion with this spec: not run again. */
  | 'skip'
  /** Written by this stage (created or replaced): wait for it. */
  | 'run'
  /** Unchanged and still running (an earlier run of the stage started it): wait for it. */
  | 'wait'

export function preDeployStep(action: string, live: KubeObject | undefined): PreDeployStep {
  if (action !== 'unchanged') return 'run'
  return hasCondition(live, 'Complete') ? 'skip' : 'wait'
}

export interface PreDeployRecord {
  /** Job/name */
  job: string
  step: PreDeployStep
  outcome: 'succeeded' | 'failed' | 'too slow' | 'skipped'
  durationMs?: number
  budgetMs?: number
}

export function describePreDeploy(record: PreDeployRecord): string {
  const budget = record.budgetMs === undefined ? '' : ` (budget ${formatDuration(record.budgetMs)})`
  if (record.outcome === 'skipped') return `${record.job}: already completed with this spec; not run again`
  const took = record.durationMs === undefined ? '' : ` after ${formatDuration(record.durationMs)}`
  return `${record.job}: ${record.outcome}${took}${budget}`
}

/**
 * What the previous stage's migrations took, beside this stage's budget for
 * them: "Job/migrate took 48.0s in staging; its budget here is 1m".
 */
export function preDeployParity(
  upstream: Record<string, { durationMs: number }>,
  upstreamEnvironment: string,
  jobs: { job: string; budgetMs?: number }[]
): { path: string; message: string; overBudget: boolean }[] {
  return jobs.flatMap(({ job, budgetMs }) => {
    const ran = upstream[job]
    if (!ran) return []
    const overBudget = budgetMs !== undefined && ran.durationMs > budgetMs
    const budget =
      budgetMs === undefined
        ? 'it has no budget here'
        : `its budget here is ${formatDuration(budgetMs)}${overBudget ? ', which it would exceed' : ''}`
    return [
      {
        path: `duration/${job}`,
        message: `${job} took ${formatDuration(ran.durationMs)} in ${upstreamEnvironment}; ${budget}`,
        overBudget
      }
    ]
  })
}
