/**
 * Pre-deploy Jobs (migrations), run between the stage's dependencies
 * (ConfigMaps, Secrets, Services...) and its workloads: each is created, or
 * replaced when its spec changed or it failed before, and waited on until it
 * completes, one after another. A failure or a spent time budget fails the
 * stage before the new version rolls out; an unchanged Job that completed is
 * not run again.
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

export async function runPreDeployJobs(
  stage: StageContext,
  jobs: PlannedObject[],
  options: ApplyOptions,
  onApplied: (applied: AppliedObject) => void
): Promise<AppliedObject[]> {
  const { client, config, record } = stage
  record.preDeploy = []
  const results: AppliedObject[] = []
  for (const job of preDeployOrder(jobs)) {
    const name = displayName(job.object)
    const budgetMs = timeBudget(job.object, config.preDeployBudgetMs)
    const step = preDeployStep(job.action, job.live)
    const entry: PreDeployRecord = { job: name, step, outcome: 'skipped', budgetMs }
    record.preDeploy.push(entry)
    if (step === 'skip') {
      results.push({ object: job.live ?? job.object, action: job.action })
      onApplied(results.at(-1)!)
      info(describePreDeploy(entry))
      continue
    }
    const started = Date.now()
    const [written] =
      step === 'run'
        ? await applyPlanned(client, [[job]], options, onApplied)
        : [{ object: job.live!, action: job.action }]
    if (step === 'wait') onApplied(written)
    results.push(written)
    const limitMs = budgetMs ?? config.timeoutMs
    info(
      `${name}: ${job.replace ? 'replaced (a Job cannot be updated in place); ' : ''}waiting up to ${formatDuration(limitMs)} for it to complete${budgetMs === undefined ? '' : ' (its time budget)'} before any workload is applied`
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
      continue
    }
    if (outcome.state === 'Failed') {
      entry.outcome = 'failed'
      const failure = waitFailure(outcome, config)
      throw new StageError(
        failure.code,
        `Pre-deploy ${failure.message}; no workload of the new version was applied.`,
        { evidence: failure.evidence, details: failure.details }
      )
    }
    if (budgetMs === undefined)
      throw new StageError(
        'Timeout',
        `Pre-deploy ${name} had not completed after ${formatDuration(entry.durationMs)} (timeout); no workload of the new version was applied.`
      )
    entry.outcome = 'too slow'
    throw new StageError(
      'MigrationTooSlow',
      `Pre-deploy ${name} was still running after ${formatDuration(entry.durationMs)}, over its time budget of ${formatDuration(budgetMs)}; no workload of the new version was applied. The Job is left running (stopping a migration half-way could leave the data worse off): the next run of this stage waits for it.`
    )
  }
  return results
}
