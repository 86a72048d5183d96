/**
 * Post-deploy hooks: a chart's post-install and post-upgrade hooks, run once
 * the rollout is ready and before the smoke checks, as `helm upgrade` runs
 * them: in hook-weight order, one at a time, each Job waited on until it
 * completes (with the pre-deploy Jobs' machinery), other kinds applied; then
 * their delete policies. A failed hook Job fails the stage, and main's usual
 * rollback puts the previous version back.
 */
import { applyPlanned, type AppliedObject, type ApplyOptions, type PlannedObject } from '../kube/apply.js'
import { asKubeApiError } from '../kube/errors.js'
import { objectPath } from '../kube/paths.js'
import { deletePolicies, hookOrder, hooksToDelete } from '../manifests/hooks.js'
import { displayName } from '../manifests/objects.js'
import { preDeployStep, type PreDeployRecord } from '../manifests/pre-deploy.js'
import { info } from '../report/log.js'
import { warn, type StageContext } from './context.js'
import { runJob, type JobPhase } from './pre-deploy.js'

const POST_DEPLOY: JobPhase = {
  label: 'Post-deploy hook',
  before: 'before the smoke checks',
  leaves: 'the new version had rolled out and is ready'
}

export async function runPostDeployHooks(
  stage: StageContext,
  hooks: PlannedObject[],
  options: ApplyOptions,
  onApplied: (applied: AppliedObject) => void
): Promise<AppliedObject[]> {
  const { record } = stage
  record.postDeploy = []
  const results: AppliedObject[] = []
  const ran: PlannedObject[] = []
  for (const hook of hookOrder(hooks)) {
    try {
      if (hook.object.kind !== 'Job') {
        // Helm creates these and goes on: only Jobs and Pods are waited on.
        results.push(...(await applyPlanned(stage.client, [[hook]], options, onApplied)))
      } else {
        const entry: PreDeployRecord = {
          job: displayName(hook.object),
          step: preDeployStep(hook.action, hook.live),
          outcome: 'skipped'
        }
        record.postDeploy.push(entry)
        results.push(await runJob(stage, hook, entry, options, onApplied, POST_DEPLOY))
      }
      ran.push(hook)
    } catch (error) {
      await deleteByPolicy(stage, hooksToDelete([...ran, hook], hook))
      throw error
    }
  }
  await deleteByPolicy(stage, hooksToDelete(ran, undefined))
  return results
}

/** Deletes what the delete policies say; one that cannot be deleted is a warning, not the stage's failure. */
async function deleteByPolicy(stage: StageContext, hooks: PlannedObject[]): Promise<void> {
  for (const hook of hooks) {
    const { object, resource } = hook
    const name = displayName(object)
    const policy = [...deletePolicies(object)].filter(p => p !== 'before-hook-creation').join(', ')
    const path = objectPath(
      object.apiVersion,
      resource,
      resource.namespaced ? object.metadata.namespace : undefined,
      object.metadata.name
    )
    try {
      // Background: the Job goes now, its pods after it (the log tail was read before).
      await stage.client.send('DELETE', path, {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: 'Background'
      })
      info(`${name}: deleted (${policy})`)
    } catch (error) {
      if (asKubeApiError(error)?.status === 404) continue
      warn(
        stage.record,
        `${name} could not be deleted as its ${policy} policy asks: ${(error as Error).message}`
      )
    }
  }
}
