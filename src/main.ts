/**
 * One environment's stage, top to bottom:
 *   plan → preflight → apply → wait → smoke → prune → report (→ roll back on failure)
 * In plan mode it stops after preflight, having written nothing.
 * Each phase (src/stage/) takes what the earlier ones found and returns what
 * the later ones need, and records what it learns in the StageRecord. The
 * release record, the outputs and the summary are written from it in
 * `finally`, so a stage that fails early still says what it knew. Errors are
 * caught once, here.
 */
import * as core from '@actions/core'
import { startEarly } from './concurrency.js'
import { readStageConfig, RENAMED_INPUTS } from './inputs.js'
import { inputCredentials, rememberSecrets } from './secrets.js'
import type { GitHubDeployment } from './report/github-deployment.js'
import { newStageRecord } from './report/record.js'
import { apply } from './stage/apply.js'
import { connect, warn, type StageContext } from './stage/context.js'
import { releaseStageLease } from './stage/lease.js'
import { load, plan, type Planned } from './stage/plan.js'
import { preflight } from './stage/preflight.js'
import { openApplySet, planPrune, prune, widenApplySet } from './stage/prune.js'
import {
  describeStage,
  fail,
  finishReport,
  openDeployment,
  recordPlan,
  recordRelease
} from './stage/report.js'
import { rollBackFailedStage } from './stage/rollback.js'
import { verify } from './stage/verify.js'

export async function run(): Promise<void> {
  const record = newStageRecord()
  let deployment: GitHubDeployment | undefined
  let planned: Planned | undefined
  let stage: StageContext | undefined
  try {
    const config = readStageConfig(name => core.getInput(name), process.env)
    rememberSecrets(inputCredentials(config, process.env))
    describeStage(record, config)
    for (const old of config.renamedInputs)
      warn(
        record,
        `Input ${old} is now called ${RENAMED_INPUTS[old]}: the old name still works, but rename it in your workflow.`
      )
    deployment = await openDeployment(config, record)

    // plan: the workspace's manifests and checks first, then what the cluster decides. The
    // connection (credentials, TLS, /version) is made meanwhile; a manifest error still comes first.
    const connecting = startEarly(connect(config, record))
    const sources = await load(config)
    stage = await connecting
    planned = await plan(stage, sources)
    // with prune: the stage's ApplySet, refused before any write when it is not kube-stage's
    const applySet = await openApplySet(stage, planned)

    // preflight: references, then a server-side dry run of the whole set, before any write
    const admitted = await preflight(stage, planned)
    recordPlan(stage, admitted, sources.renderedValues)
    if (config.mode === 'plan') {
      // plan mode: what applying would change and prune is the result; nothing is written
      if (applySet) await planPrune(stage, applySet)
      return
    }

    // apply: tiers in dependency order; it says what it wrote, even when it stopped half-way
    // (with prune, the ApplySet first records the new kinds too, so an interrupted run leaks nothing)
    if (applySet) await widenApplySet(stage, applySet)
    const applied = await apply(stage, admitted, sources.smoke)
    try {
      if (!applied.ok) throw applied.error
      // wait (one deadline for everything), then smoke
      await verify(stage, {
        plan: admitted.plan,
        applied: applied.objects,
        rendered: planned.rendered.objects,
        smoke: sources.smoke,
        options: admitted.options,
        upstream: admitted.upstream,
        judged: applied.judged
      })
    } catch (error) {
      // Only what this stage wrote goes back; a rollback that fails is a warning, not the failure.
      if (config.rollback) await rollBackFailedStage(stage, applied.written, sources.smoke)
      throw error
    }
    // prune: only once the stage passed, what its manifests no longer have
    if (applySet) await prune(stage, applySet)
  } catch (error) {
    fail(record, error)
  } finally {
    const releasing = releaseStageLease(stage)
    // On the wire before the release record is built, which takes CPU time a round trip can hide.
    await new Promise(resolve => setImmediate(resolve))
    record.finishedAt = Date.now()
    if (planned) recordRelease(record, planned.rendered)
    await releasing
    await finishReport(record, deployment)
  }
}
