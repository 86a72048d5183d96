/**
 * Pre-deploy Jobs (migrations), run between the stage's dependencies
 * (ConfigMaps, Secrets, Services...) and its workloads: each is created, or
 * replaced when its spec changed or it failed before, and waited on until it
 * completes, one after another. A failure or a spent time budget fails the
 * stage before the new version rolls out; an unchanged Job that completed is
 * not run again. Post-deploy hook Jobs (stage/post-deploy.ts) run the same way.
 */
import { StageError } from '../errors.js'
import { formatDuration } from '../duration.js'
import { applyPlanned, type AppliedObject, type ApplyOptions, type PlannedObject } from '../kube/apply.js'
import { waitForReadiness } from '../kube/wait.js'
import { displayName } from '../manifests/objects.js'
import {
  describePreDeploy,
  preDeployOrder,
  preDeployStep,
  timeBudget,
  type PreDeployRecord
} from '../manifests/pre-deploy.js'
import { info } from '../report/log.js'
import type { StageContext } from './context.js'
import { waitFailure } from './verify.js'

/** Where in the stage a Job runs, for what its messages say. */
export interface JobPhase {
  /** `Pre-deploy`, `Post-deploy` */
  label: string
  /** What the wait comes before: `before any workload is applied`. */
  before: string
  /** What a failure leaves: `no workload of the new version was applied`. */
  leaves: string
}

const PRE_DEPLOY: JobPhase = {
  label: 'Pre-deploy',
  before: 'before any workload is applied',
  leaves: 'no workload of the new version was applied'
}

export async function runPreDeployJobs(
  stage: StageContext,
  jobs: PlannedObject[],
  options: ApplyOptions,
  onApplied: (applied: AppliedObject) => void
): Promise<AppliedObject[]> {
  const { config, record } = stage
  record.preDeploy = []
  const results: AppliedObject[] = []
  for (const job of preDeployOrder(jobs)) {
    const budgetMs = timeBudget(job.object, config.preDeployBudgetMs)
    const entry: PreDeployRecord = {
      job: displayName(job.object),
      step: preDeployStep(job.action, job.live),
      outcome: 'skipped',
      budgetMs
    }
    record.preDeploy.push(entry)
    results.push(await runJob(stage, job, entry, options, onApplied, PRE_DEPLOY))
  }
  return results
}

/**
 * One Job: skipped (completed with this spec), or written and waited on until it
 * completes. `entry` records what happened; a failure, a timeout or a spent
 * budget is thrown, with the Job's log tail.
 */
export async function runJob(
  stage: StageContext,
  job: PlannedObject,
  entry: PreDeployRecord,
  options: ApplyOptions,
  onApplied: (applied: AppliedObject) => void,
  phase: JobPhase
): Promise<AppliedObject> {
  const { client, config } = stage
  const { job: name, step, budgetMs } = entry
  if (step === 'skip') {
    const skipped = { object: job.live ?? job.object, action: job.action }
    onApplied(skipped)
    info(describePreDeploy(entry))
    return skipped
  }
  const started = Date.now()
  const [written] =
    step === 'run'
      ? await applyPlanned(client, [[job]], options, onApplied)
      : [{ object: job.live!, action: job.action }]
  if (step === 'wait') onApplied(written)
  const limitMs = budgetMs ?? config.timeoutMs
  info(
    `${name}: ${job.replace ? 'replaced (a Job cannot be updated in place); ' : ''}waiting up to ${formatDuration(limitMs)} for it to complete${budgetMs === undefined ? '' : ' (its time budget)'} ${phase.before}`
  )
  const outcome = await waitForReadiness(client, [{ object: written.object, resource: job.resource }], {
    timeoutMs: limitMs,
    waitForLoadBalancer: false,
    unschedulableGraceMs: config.unschedulableGraceMs,
    log: line => info(line)
  })
  entry.durationMs = Date.now() - started
  if (outcome.state === 'Current') {
    entry.outcome = 'succeeded'
    info(describePreDeploy(entry))
    return written
  }
  if (outcome.state === 'Failed') {
    entry.outcome = 'failed'
    const failure = waitFailure(outcome, config)
    throw new StageError(failure.code, `${phase.label} ${failure.message}; ${phase.leaves}.`, {
      evidence: failure.evidence,
      details: failure.details
    })
  }
  if (budgetMs === undefined)
    throw new StageError(
      'Timeout',
      `${phase.label} ${name} had not completed after ${formatDuration(entry.durationMs)} (timeout); ${phase.leaves}.`
    )
  entry.outcome = 'too slow'
  throw new StageError(
    'MigrationTooSlow',
    `${phase.label} ${name} was still running after ${formatDuration(entry.durationMs)}, over its time budget of ${formatDuration(budgetMs)}; ${phase.leaves}. The Job is left running (stopping a migration half-way could leave the data worse off): the next run of this stage waits for it.`
  )
}
