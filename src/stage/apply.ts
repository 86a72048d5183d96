/**
 * apply: the dry-run plan written for real, tier by tier in dependency order
 * (concurrently within a tier): first everything but the workloads, then the
 * pre-deploy Jobs (migrations) run to completion, then the workloads, so the
 * new version never starts before its schema exists. Once writing has begun,
 * a failure is returned, not thrown, together with what was written up to
 * then: exactly what a rollback must put back.
 */
import * as core from '@actions/core'
import { formatDuration } from '../duration.js'
import { applyPlanned, type AppliedObject, type PlannedObject } from '../kube/apply.js'
import { displayName, objectKey } from '../manifests/objects.js'
import { isWorkload, orderForApply } from '../manifests/order.js'
import { isPreDeployJob } from '../manifests/pre-deploy.js'
import { info } from '../report/log.js'
import { showApiWarnings, type StageContext } from './context.js'
import type { Admitted } from './preflight.js'
import { runPreDeployJobs } from './pre-deploy.js'

/** `written` is what the stage wrote, in plan order: all of it, or up to where it stopped. */
export type Applied =
  | { ok: true; written: PlannedObject[]; objects: AppliedObject[] }
  | { ok: false; written: PlannedObject[]; error: unknown }

export async function apply(stage: StageContext, admitted: Admitted): Promise<Applied> {
  const { client, config, record } = stage
  const { plan, options } = admitted
  const started = Date.now()
  const preDeploy = plan.filter(p => isPreDeployJob(p.object))
  const tiers = orderForApply(plan.filter(p => !isPreDeployJob(p.object)).map(p => p.object)).map(tier =>
    tier.map(o => plan.find(p => p.object === o)!)
  )
  const dependencies = tiers.map(tier => tier.filter(p => !isWorkload(p.object))).filter(t => t.length > 0)
  const workloads = tiers.map(tier => tier.filter(p => isWorkload(p.object))).filter(t => t.length > 0)
  const written = new Set<string>()
  const writtenPlan = () => plan.filter(p => written.has(objectKey(p.object)))
  let warned = admitted.warned
  try {
    const onApplied = (a: AppliedObject) => {
      written.add(objectKey(a.object))
      info(`${displayName(a.object)}: ${a.action}`)
      warned = showApiWarnings(record, [a], options.locate!, warned)
    }
    const applied = await core.group(`Applying ${plan.length} object(s) in ${tiers.length} tier(s)`, () =>
      applyPlanned(client, dependencies, options, onApplied)
    )
    if (preDeploy.length > 0) {
      const jobs = await core.group(
        `Running ${preDeploy.length} pre-deploy Job(s) before the workloads`,
        () => runPreDeployJobs(stage, preDeploy, options, onApplied)
      )
      applied.push(...jobs)
    }
    applied.push(...(await applyPlanned(client, workloads, options, onApplied)))
    const counts = ['created', 'configured', 'unchanged'].map(
      action => `${applied.filter(a => a.action === action).length} ${action}`
    )
    info(
      `Applied ${applied.length} object(s) (${counts.join(', ')}): dry run ${formatDuration(admitted.dryRunMs)}, apply ${formatDuration(Date.now() - started)}`
    )
    // Removed only once the objects are applied.
    if (admitted.oldIsolation && (await (await admitted.oldIsolation).remove()))
      info(`Removed the isolation NetworkPolicy from ${config.namespace}: isolate is off`)
    record.resources = applied.map(a => ({
      apiVersion: a.object.apiVersion,
      kind: a.object.kind,
      name: a.object.metadata.name,
      namespace: a.object.metadata.namespace,
      action: a.action
    }))
    return { ok: true, written: writtenPlan(), objects: applied }
  } catch (error) {
    return { ok: false, written: writtenPlan(), error }
  }
}
