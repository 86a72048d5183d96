/**
 * rollback: nothing lost. After a failure, what this stage wrote goes back:
 * first the ConfigMaps and Secrets it changed get their previous content,
 * then the workloads it changed get their previous pod template; they are
 * waited on until they serve again and the smoke checks run against the
 * restored version. Objects the stage created stay (the summary lists them).
 * A rollback that fails is a warning: it must not hide why the stage failed.
 */
import * as core from '@actions/core'
import { formatDuration } from '../duration.js'
import type { PlannedObject } from '../kube/apply.js'
import { configRollbackTargets, restoreConfig, rollBack, rollbackTargets } from '../kube/rollback.js'
import { describeTimeout } from '../kube/status/index.js'
import { waitForReadiness } from '../kube/wait.js'
import { displayName } from '../manifests/objects.js'
import { info } from '../report/log.js'
import { warn, type StageContext } from './context.js'
import { runChecks, type SmokeChecks } from './verify.js'

/** Bounds the wait for the restored version: it was serving minutes ago. */
const ROLLBACK_WAIT_MS = 120_000

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
  const targets = rollbackTargets(written)
  const configs = configRollbackTargets(written)
  if (targets.length === 0 && configs.length === 0) return
  await core.group(
    `Rolling back ${targets.length} workload(s) and ${configs.length} ConfigMap(s) and Secret(s)`,
    async () => {
      // Configuration first: the restored pods must start with the previous release's configuration.
      const configResult = await restoreConfig(client, configs, config.fieldManager)
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
