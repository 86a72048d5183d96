/**
 * apply: the dry-run plan written for real, tier by tier in dependency order
 * (concurrently within a tier): first everything but the workloads, then the
 * pre-deploy Jobs (migrations) run to completion, then the workloads and custom
 * resources (manifests/order.ts), so the new version never starts before its
 * schema exists. Secrets that producers make (ExternalSecret, SealedSecret,
 * Certificate) are waited for before the Jobs and workloads that use them, and
 * their data joins the workloads' config digests. Post-deploy hooks wait for the rollout (stage/post-deploy.ts). Once writing has begun,
 * a failure is returned, not thrown, together with what was written up to
 * then: exactly what a rollback must put back.
 */
import * as core from '@actions/core'
import { formatDuration } from '../duration.js'
import { applyPlanned, type AppliedObject, type PlannedObject } from '../kube/apply.js'
import { displayName, objectKey } from '../manifests/objects.js'
import { appliedAfterPreDeploy, orderForApply } from '../manifests/order.js'
import { isPostDeployHook } from '../manifests/hooks.js'
import { isPreDeployJob } from '../manifests/pre-deploy.js'
import { info } from '../report/log.js'
import { showApiWarnings, type StageContext } from './context.js'
import type { Admitted } from './preflight.js'
import { runPreDeployJobs } from './pre-deploy.js'
import { checkProducedSecretReuse } from './secret-reuse.js'
import { awaitProducedSecrets, type ProducerTarget } from '../kube/producers.js'
import type { SecretData } from '../kube/existing.js'
import { producedSecretOf } from '../manifests/producers.js'
import { stampConfigDigests, templateDigest, withTemplateDigest } from '../manifests/config-digest.js'
import { rollbackTargets } from '../kube/rollback.js'
import type { StrategyName } from '../strategy/plan.js'
import type { Judges } from '../strategy/steps.js'
import type { SmokeChecks } from './verify.js'

/** `written` is what the stage wrote, in plan order: all of it, or up to where it stopped. */
export type Applied =
  /** judged: a canary or blue-green strategy judged the new version step by step. */
  | { ok: true; written: PlannedObject[]; objects: AppliedObject[]; judged: boolean }
  | { ok: false; written: PlannedObject[]; error: unknown }

/** `smoke`: the stage's checks, which judge a canary's or blue-green's steps too. */
export async function apply(
  stage: StageContext,
  admitted: Admitted,
  smoke: SmokeChecks | undefined
): Promise<Applied> {
  const { client, config, record } = stage
  const { plan, options } = admitted
  const started = Date.now()
  const preDeploy = plan.filter(p => isPreDeployJob(p.object))
  // Post-deploy hooks run once the rollout is ready (stage/post-deploy.ts, from verify).
  const applyNow = plan.filter(p => !isPreDeployJob(p.object) && !isPostDeployHook(p.object))
  const tiers = orderForApply(applyNow.map(p => p.object)).map(tier =>
    tier.map(o => plan.find(p => p.object === o)!)
  )
  const after = (p: PlannedObject) => appliedAfterPreDeploy(p.object)
  const dependencies = tiers.map(tier => tier.filter(p => !after(p))).filter(t => t.length > 0)
  const workloads = tiers.map(tier => tier.filter(after)).filter(t => t.length > 0)
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
    // The Secrets that producers make must exist before anything uses them: migrations and workloads.
    const producers = await waitForProducers(stage, dependencies.flat())
    if (producers) {
      checkProducedSecretReuse(
        stage,
        plan.map(p => p.object),
        producers,
        admitted.upstream
      )
      restampConfigDigests(plan, producers, [...preDeploy, ...workloads.flat()])
    }
    if (preDeploy.length > 0) {
      const jobs = await core.group(
        `Running ${preDeploy.length} pre-deploy Job(s) before the workloads`,
        () => runPreDeployJobs(stage, preDeploy, options, onApplied)
      )
      applied.push(...jobs)
    }
    // With a canary or blue-green strategy, the Deployments whose pod template changes are written
    // only once the new version passed its steps; everything else is written now.
    const held = heldForStrategy(config.strategy, workloads.flat())
    const now = workloads.map(tier => tier.filter(p => !held.includes(p))).filter(t => t.length > 0)
    applied.push(...(await applyPlanned(client, now, options, onApplied)))
    if (held.length > 0) {
      const promote = (which: readonly PlannedObject[]) =>
        applyPlanned(client, [[...which]], options, onApplied)
      applied.push(...(await runStrategy(stage, held, { smoke, upstream: admitted.upstream }, promote)))
    } else if (config.strategy !== 'rolling')
      info(
        `strategy ${config.strategy}: no live Deployment's pod template changes, so there is no step to take`
      )
    const counts = ['created', 'configured', 'replaced', 'unchanged']
      .map(action => ({ action, n: applied.filter(a => a.action === action).length }))
      .filter(({ action, n }) => n > 0 || action !== 'replaced')
      .map(({ action, n }) => `${n} ${action}`)
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
    // Judged step by step when a step was taken (a blue-green with no Service to switch takes none).
    const judged = (record.strategy?.steps.length ?? 0) > 0
    return { ok: true, written: writtenPlan(), objects: applied, judged }
  } catch (error) {
    return { ok: false, written: writtenPlan(), error }
  }
}

/** The Deployments a canary or blue-green strategy takes step by step: those live whose pod template changes. */
function heldForStrategy(strategy: StrategyName, workloads: readonly PlannedObject[]): PlannedObject[] {
  if (strategy === 'rolling') return []
  return rollbackTargets(workloads).filter(p => p.object.kind === 'Deployment')
}

/** Loaded only by a stage that uses a strategy. */
async function runStrategy(
  stage: StageContext,
  held: readonly PlannedObject[],
  judges: Judges,
  promote: (deployments: readonly PlannedObject[]) => Promise<AppliedObject[]>
): Promise<AppliedObject[]> {
  if (stage.config.strategy === 'canary')
    return (await import('../strategy/canary.js')).runCanary(stage, held, judges, promote)
  return (await import('../strategy/blue-green.js')).runBlueGreen(stage, held, judges, promote)
}

/** Waits for the Secrets the applied producers make; undefined when the stage has none. */
async function waitForProducers(
  { client, config }: StageContext,
  applied: readonly PlannedObject[]
): Promise<SecretData | undefined> {
  const targets: ProducerTarget[] = applied.flatMap(p => {
    const produced = producedSecretOf(p.object)
    return produced ? [{ ...produced, resource: p.resource, created: p.action === 'created' }] : []
  })
  if (targets.length === 0) return undefined
  return core.group(`Waiting for ${targets.length} Secret(s) that producers make`, () =>
    awaitProducedSecrets(client, targets, {
      timeoutMs: config.timeoutMs,
      log: info,
      syncManager: `${config.fieldManager}-sync`
    })
  )
}

/**
 * The workloads' config digests again, now with the produced Secrets' data: a value rotated
 * behind an ExternalSecret changes the digest, so a workload the dry run found unchanged is
 * written after all (and its preview follows, so a rollback knows its template changed).
 */
function restampConfigDigests(
  plan: readonly PlannedObject[],
  produced: SecretData,
  targets: readonly PlannedObject[]
): void {
  const stamped = stampConfigDigests(
    plan.map(p => p.object),
    produced
  )
  for (const target of targets) {
    const object = stamped[plan.indexOf(target)]
    const digest = templateDigest(object)
    if (!object || digest === templateDigest(target.object)) continue
    target.object = object
    if (target.preview) target.preview = withTemplateDigest(target.preview, digest)
    if (target.action === 'unchanged') target.action = 'configured'
  }
}
