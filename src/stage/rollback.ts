/**
 * rollback: nothing lost. After a failure, what this stage wrote goes back:
 * first the ConfigMaps and Secrets it changed get their previous content,
 * then the workloads it changed get their previous pod template; they are
 * waited on until they serve again and the smoke checks run against the
 * restored version. Objects the stage created stay (the summary lists them),
 * except the isolation policy: left behind, it would keep shutting out what
 * reached the namespace before. A rollback that fails is a warning: it must
 * not hide why the stage failed.
 */
import * as core from '@actions/core'
import { formatDuration } from '../duration.js'
import type { PlannedObject } from '../kube/apply.js'
import { configRollbackTargets, restoreConfig, rollBack, rollbackTargets } from '../kube/rollback.js'
import { awaitProducedSecrets } from '../kube/producers.js'
import { producedSecretOf } from '../manifests/producers.js'
import { isIsolationPolicy } from '../kube/isolation/policy.js'
import { findIsolationPolicy } from '../kube/namespace.js'
import { describeTimeout } from '../kube/status/index.js'
import { waitForReadiness } from '../kube/wait.js'
import { displayName } from '../manifests/objects.js'
import { info } from '../report/log.js'
import { warn, type StageContext } from './context.js'
import { runChecks, type SmokeChecks } from './verify.js'

/** Bounds the wait for the restored version: it was serving minutes ago. */
const ROLLBACK_WAIT_MS = 120_000

/** The isolation policy, when this stage created it: removed, or a warning says it could not be. */
async function removeCreatedIsolation(stage: StageContext, written: PlannedObject[]): Promise<string[]> {
  const created = written.find(p => isIsolationPolicy(p.object) && p.action === 'created')
  if (!created) return []
  const name = displayName(created.object)
  try {
    await (await findIsolationPolicy(stage.client, stage.config.namespace)).remove()
    info(`Rollback: removed ${name}, which this stage created`)
    return [name]
  } catch (error) {
    warn(
      stage.record,
      `Rollback could not remove ${name}, which this stage created: ${(error as Error).message}`
    )
    return []
  }
}

/** `written`: what the stage wrote (a later tier may have failed to apply); only that goes back. */
export async function rollBackFailedStage(
  stage: StageContext,
  written: PlannedObject[],
  smoke: SmokeChecks | undefined
): Promise<void> {
  await restore(stage, written, smoke).catch(rollbackError =>
    warn(stage.record, `Rollback failed: ${(rollbackError as Error).message}`)
  )
}

async function restore(
  stage: StageContext,
  written: PlannedObject[],
  smoke: SmokeChecks | undefined
): Promise<void> {
  const { client, config, record } = stage
  const removed = await removeCreatedIsolation(stage, written)
  const targets = rollbackTargets(written)
  const configs = configRollbackTargets(written)
  if (targets.length === 0 && configs.length === 0) {
    if (removed.length > 0)
      record.rollback = { restored: [], removed, ready: true, message: 'nothing else to restore', failed: [] }
    return
  }
  await core.group(
    `Rolling back ${targets.length} workload(s) and ${configs.length} ConfigMap(s), Secret(s) and Secret producer(s)`,
    async () => {
      // Configuration first: the restored pods must start with the previous release's configuration.
      const configResult = await restoreConfig(client, configs, config.fieldManager)
      // A restored producer makes its previous Secret again: the restored pods wait for it.
      const producers = configs.flatMap(p => {
        const produced = producedSecretOf(p.live!)
        return produced && !configResult.failed.some(f => f.startsWith(`${displayName(p.object)}:`))
          ? [{ ...produced, resource: p.resource, created: false }]
          : []
      })
      if (producers.length > 0)
        await awaitProducedSecrets(client, producers, {
          timeoutMs: Math.min(config.timeoutMs, ROLLBACK_WAIT_MS),
          log: info,
          syncManager: `${config.fieldManager}-sync`
        }).catch((error: Error) =>
          configResult.failed.push(`the restored producers' Secrets: ${error.message}`)
        )
      const result = await rollBack(client, targets, config.fieldManager)
      result.failed.push(...configResult.failed)
      const restored = [...configResult.restored, ...result.restored.map(r => displayName(r.object))]
      let ready = false
      let message = 'rollback could not be applied'
      if (result.restored.length > 0) {
        const outcome = await waitForReadiness(client, result.restored, {
          timeoutMs: Math.min(config.timeoutMs, ROLLBACK_WAIT_MS),
          waitForLoadBalancer: false,
          log: line => info(line)
        })
        ready = outcome.state === 'Current'
        message = ready
          ? `ready again in ${formatDuration(outcome.elapsedMs)}`
          : describeTimeout(outcome.results).join('; ') || outcome.state
      }
      if (targets.length === 0 && configResult.restored.length > 0) {
        ready = true
        message = 'configuration restored'
      }
      // The restored version is verified as the release was: its checks must pass again.
      const verified =
        ready && smoke
          ? await runChecks(stage, smoke, 'Smoke checks against the restored version')
          : undefined
      const failing = verified?.filter(r => !r.passed) ?? []
      record.rollback = {
        restored,
        removed,
        ready,
        message,
        failed: result.failed,
        verified: verified && {
          passed: failing.length === 0,
          failed: failing.map(r => `${r.name}: ${r.reason ?? 'failed'}`)
        }
      }
      if (ready && failing.length > 0)
        warn(
          record,
          `Rolled back ${restored.join(', ')}, but the restored version fails its smoke checks too: ${record.rollback.verified!.failed[0]}`
        )
      else if (ready) info(`Rolled back ${restored.join(', ')}: the previous version is serving again`)
      else
        warn(
          record,
          `Rollback of ${targets.map(t => displayName(t.object)).join(', ')} did not complete: ${[message, ...result.failed].join('; ')}`
        )
    }
  )
}
