/**
 * What canary and blue-green steps share: waiting for the new version's pods
 * (with the stage's deadline and its verdicts), judging them with the stage's
 * smoke checks, soak and analysis, and writing each step into the record.
 */
import * as core from '@actions/core'
import type { V1Pod } from '@kubernetes/client-node'
import { formatDuration } from '../duration.js'
import { waitForReadiness } from '../kube/wait.js'
import type { StrategyRecord, StrategyStep } from '../report/record.js'
import { info } from '../report/log.js'
import { warn, type StageContext } from '../stage/context.js'
import { judge, rolledOut, waitFailure, type Judging, type VerifyInput } from '../stage/verify.js'
import { removeCopies, type Copy } from './writes.js'
import type { AppliedObject, PlannedObject } from '../kube/apply.js'
import { displayName, objectKey } from '../manifests/objects.js'

/** What the steps judge with: the stage's smoke checks (and their analysis), and the previous stage's record. */
export type Judges = Pick<VerifyInput, 'smoke' | 'upstream'>

/** Waits until the copies (or the promoted Deployments) are ready; their rolled-out pods. */
export async function waitForNewPods(
  stage: StageContext,
  targets: readonly Copy[],
  what: string
): Promise<V1Pod[]> {
  const { client, config } = stage
  const outcome = await core.group(`Waiting up to ${formatDuration(config.timeoutMs)} for ${what}`, () =>
    waitForReadiness(client, [...targets], {
      timeoutMs: config.timeoutMs,
      waitForLoadBalancer: false,
      unschedulableGraceMs: config.unschedulableGraceMs,
      log: line => info(line)
    })
  )
  if (outcome.state !== 'Current') throw waitFailure(outcome, config)
  return rolledOut(outcome)
}

/**
 * Runs one step: `prepare` brings the new version to where the step judges it and returns
 * its pods and how they are judged; the step is recorded as it goes, so a failure says
 * which step it was.
 */
export async function runStep(
  stage: StageContext,
  strategy: StrategyRecord,
  step: Omit<StrategyStep, 'startedAt' | 'durationMs' | 'passed'>,
  judges: Judges,
  prepare: () => Promise<Judging>
): Promise<void> {
  const entry: StrategyStep = { ...step, startedAt: Date.now(), durationMs: 0, passed: false }
  strategy.steps.push(entry)
  try {
    const judging = await prepare()
    const { record } = stage
    record.analysis = undefined
    await judge(stage, judges, judging)
    entry.passed = true
    info(`${entry.name}: passed after ${formatDuration(Date.now() - entry.startedAt)}`)
  } catch (error) {
    entry.failure = (error as Error).message
    throw error
  } finally {
    entry.durationMs = Date.now() - entry.startedAt
    // What the step measured, passed or not: the next stage (and a reader) sees why it stopped.
    const measured = (stage.record.analysis ?? []).filter(r => r.value !== undefined)
    if (measured.length > 0) entry.analysis = Object.fromEntries(measured.map(r => [r.name, r.value!]))
  }
}

/** The promoted Deployments as applied, each with its resource, to wait for. */
export function promoted(applied: readonly AppliedObject[], held: readonly PlannedObject[]): Copy[] {
  return applied.map(a => ({
    object: a.object,
    resource: held.find(p => objectKey(p.object) === objectKey(a.object))!.resource
  }))
}

/** Removes the strategy's copies; one that stays is a warning (it would keep serving), never the stage's failure. */
export async function removeStrategyCopies(
  stage: StageContext,
  copies: readonly Copy[],
  what: string
): Promise<void> {
  const names = copies.map(c => displayName(c.object)).join(', ')
  const left = await removeCopies(stage.client, copies, line => info(line)).catch((error: Error) => [
    `${names} (${error.message})`
  ])
  if (left.length > 0)
    warn(
      stage.record,
      `${what.replace(/^./, c => c.toUpperCase())} could not be removed: ${left.join(', ')}; delete it, or it keeps running the new version.`
    )
  else info(`Removed ${what}: ${names}`)
}
