/**
 * report: what the stage says, whatever happened. The record's identity and
 * the GitHub deployment status at the start; at the end the failure (once,
 * annotated at its file and line), the release record, the step outputs, the
 * job summary and the final deployment status, each written even when
 * another cannot be.
 */
import * as core from '@actions/core'
import { isStageError, StageError } from '../errors.js'
import { formatDuration } from '../duration.js'
import type { StageConfig } from '../inputs.js'
import { APPLIED_HASH_ANNOTATION } from '../kube/change.js'
import { asKubeApiError } from '../kube/errors.js'
import { forbiddenError } from '../kube/forbidden.js'
import { CONFIG_DIGEST_ANNOTATION } from '../manifests/config-digest.js'
import {
  buildRelease,
  fitRelease,
  releaseSizeWarning,
  renderedImages,
  splitExpected,
  type ReleaseRecord
} from '../promote/release.js'
import { signRelease } from '../promote/signature.js'
import { redactJson, withoutCredentials } from '../redact.js'
import { knownSecrets, redactKnown } from '../secrets.js'
import { GitHubDeployment } from '../report/github-deployment.js'
import { info } from '../report/log.js'
import { writeOutputs } from '../report/outputs.js'
import { fitPlan, planCounts, planEntry, type PlanEntry } from '../report/plan.js'
import { stageResult, type StageRecord } from '../report/record.js'
import { renderSummary } from '../report/summary.js'
import { warn, type StageContext } from './context.js'
import type { Rendered } from './plan.js'
import type { Admitted } from './preflight.js'

/** What the stage is: where it deploys, from which commit and run. */
export function describeStage(record: StageRecord, config: StageConfig): void {
  // A user:password@ in the smoke URL is for the checks, never for the outputs or the deployment.
  const environmentUrl = config.environmentUrl ?? config.smokeUrl
  Object.assign(record, {
    environmentUrl: environmentUrl && withoutCredentials(environmentUrl),
    environment: config.environment,
    namespace: config.namespace,
    commit: config.github.sha,
    runUrl: config.github.runUrl,
    repositoryUrl: config.github.repositoryUrl,
    mode: config.mode
  })
}

export async function openDeployment(
  config: StageConfig,
  record: StageRecord
): Promise<GitHubDeployment | undefined> {
  const { repository, sha, runId } = config.github
  // A plan deploys nothing: it has no deployment status to report.
  if (
    config.mode === 'plan' ||
    config.deployment === 'off' ||
    !config.githubToken ||
    !repository ||
    !sha ||
    !runId
  )
    return undefined
  core.setSecret(config.githubToken)
  const [owner, repo] = repository.split('/')
  try {
    const deployment = await GitHubDeployment.open({
      mode: config.deployment,
      token: config.githubToken,
      apiUrl: config.github.apiUrl,
      environment: config.environment,
      owner,
      repo,
      sha,
      runId,
      runUrl: config.github.runUrl
    })
    await deployment?.setState('in_progress', {
      environmentUrl: config.environmentUrl && withoutCredentials(config.environmentUrl)
    })
    return deployment
  } catch (error) {
    // A deployment status is a report, not the stage: it must not fail a good deployment.
    warn(record, `Could not update the GitHub deployment status: ${(error as Error).message}`)
    return undefined
  }
}

export function fail(record: StageRecord, error: unknown): void {
  const forbidden = asKubeApiError(error)?.status === 403 ? asKubeApiError(error) : undefined
  const stageError = isStageError(error)
    ? error
    : forbidden
      ? forbiddenError(forbidden, 'go on')
      : new StageError('Internal', (error as Error)?.message ?? String(error), { cause: error })
  // Whatever a failure quotes (a tool's message, a log tail) may repeat a credential, encoded or not.
  record.failure = {
    code: stageError.code,
    message: redactKnown(stageError.message),
    details: stageError.details.map(redactKnown),
    location: stageError.location,
    evidence: stageError.evidence.map(e => ({ title: e.title, text: redactKnown(e.text) }))
  }
  for (const detail of record.failure.details) info(`  ${detail}`)
  for (const evidence of record.failure.evidence ?? []) info(`${evidence.title}:\n${evidence.text}`)
  const location = stageError.location
  if (location) {
    // One annotation, placed on the file and line at fault (setFailed would add a second, unplaced one).
    core.error(record.failure.message, {
      file: location.file,
      startLine: location.line,
      startColumn: location.column
    })
    process.exitCode = 1
  } else {
    core.setFailed(record.failure.message)
  }
}

/** The release record (`release` output): what ran, with the digests the cluster reports for tag-only images. */
export function recordRelease(record: StageRecord, rendered: Rendered): void {
  const images: Record<string, string> = renderedImages(rendered.objects)
  for (const image of record.images) {
    const key = `${image.workload}:${image.container}`
    if (image.digest && !image.image.includes('@')) images[key] = `${image.image}@${image.digest}`
  }
  const fitted = fitRelease(
    buildRelease({
      environment: rendered.config.environment,
      namespace: rendered.config.namespace,
      commit: rendered.config.github.sha,
      result: stageResult(record),
      objects: rendered.objects,
      images,
      perEnvironmentFields: splitExpected(rendered.config.parityExpected).fields,
      environmentNames: rendered.config.environmentNames,
      smoke: record.smoke && {
        passed: record.smoke.every(r => r.passed),
        checks: record.smoke.length,
        failed: record.smoke.filter(r => !r.passed).map(r => r.name)
      },
      preDeploy: preDeployDurations(record),
      secretDigests: record.secretDigests,
      analysis: measuredValues(record),
      strategy: record.strategy && {
        name: record.strategy.name,
        ...(record.strategy.outcome ? { outcome: record.strategy.outcome } : {}),
        steps: record.strategy.steps.map(({ name, share, durationMs, passed, analysis }) => ({
          name,
          share: Math.round(share * 1000) / 1000,
          durationMs,
          passed,
          ...(analysis ? { analysis } : {})
        }))
      }
    })
  )
  const marked = rendered.config.mode === 'plan' ? { ...fitted, planned: true as const } : fitted
  // Redacted before it is signed: writeOutputs redacts too, and must find nothing left to change.
  const output = redactJson(marked, knownSecrets()) as typeof marked
  // Signed last, over exactly what is output: fitting or marking it afterwards would break the signature.
  const key = rendered.config.releaseKey
  record.release = JSON.stringify(key ? signRelease(output, key) : output)
  const tooLarge = releaseSizeWarning(fitted, record.release)
  if (tooLarge) warn(record, tooLarge)
}

/** The last value each metric measured, for the next stage's upstream bounds. */
function measuredValues(record: StageRecord): ReleaseRecord['analysis'] {
  const measured = (record.analysis ?? []).filter(r => r.value !== undefined)
  return measured.length === 0 ? undefined : Object.fromEntries(measured.map(r => [r.name, r.value!]))
}

/** The pre-deploy Jobs that ran to completion (or past their budget) here, and how long each took. */
function preDeployDurations(record: StageRecord): ReleaseRecord['preDeploy'] {
  const ran = (record.preDeploy ?? []).filter(p => p.durationMs !== undefined && p.outcome !== 'failed')
  return ran.length === 0
    ? undefined
    : Object.fromEntries(ran.map(p => [p.job, { durationMs: p.durationMs! }]))
}

/**
 * What applying does to each object, from the dry run: for a change, the fields,
 * without what changes every run (provenance, digests), Secret values masked and
 * the stage's credentials redacted. In plan mode, also the log's account of it.
 */
export function recordPlan(
  { config, record }: StageContext,
  admitted: Admitted,
  renderedValues: readonly string[]
): void {
  const options = {
    ignoredAnnotations: [
      ...admitted.options.volatileAnnotations,
      CONFIG_DIGEST_ANNOTATION,
      APPLIED_HASH_ANNOTATION
    ],
    // Helm values may come from the workflow's secrets; a chart could copy a credential anywhere.
    secrets: [...knownSecrets(), ...renderedValues]
  }
  record.plan = admitted.plan.map(p => planEntry(p, options))
  if (config.mode !== 'plan') return
  for (const entry of record.plan) info(describePlanEntry(entry))
}

function describePlanEntry(entry: PlanEntry): string {
  const fields = (entry.fields ?? []).map(
    f =>
      `\n  ${f.path}: ${f.before === undefined ? '(none)' : JSON.stringify(f.before)} → ${f.after === undefined ? '(none)' : JSON.stringify(f.after)}`
  )
  const ownership = entry.fields?.length === 0 ? ' (field ownership only)' : ''
  return `${entry.kind}/${entry.name}: would be ${entry.action}${ownership}${fields.join('')}`
}

/** The plan as the output holds it: cut, with a warning, when it would not fit. */
function fitPlanOutput(record: StageRecord): void {
  if (!record.plan) return
  const fitted = fitPlan(record.plan)
  record.plan = fitted.entries
  if (fitted.omitted)
    warn(
      record,
      `The plan is larger than a job output should be: its ${fitted.omitted === 'values' ? 'before and after values' : 'changed fields'} are left out of the plan output and the summary${record.mode === 'plan' ? '; the log has them' : ''}.`
    )
  if (record.mode === 'plan') {
    const counts = planCounts(record.plan)
    info(
      `Plan: ${counts.created} to create, ${counts.changed} to change, ${counts.unchanged} unchanged, ${counts.pruned} to prune; nothing was written`
    )
  }
}

export async function finishReport(
  record: StageRecord,
  deployment: GitHubDeployment | undefined
): Promise<void> {
  // Each report is written even when another cannot be: outputs, summary, deployment status.
  try {
    fitPlanOutput(record)
    writeOutputs(record)
  } catch (error) {
    process.exitCode = 1
    core.error(`Could not write the step outputs: ${(error as Error).message}`)
  }
  try {
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(redactKnown(renderSummary(record))).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${(error as Error).message}`)
  }
  if (deployment) {
    const result = stageResult(record)
    await deployment
      .setState(result, {
        environmentUrl: record.environmentUrl,
        description: record.failure
          ? `${record.failure.code}: ${record.failure.message}`
          : 'kube-stage passed'
      })
      .catch(error =>
        core.warning(`Could not update the GitHub deployment status: ${(error as Error).message}`)
      )
  }
  info(
    `Stage ${stageResult(record)} in ${formatDuration((record.finishedAt ?? Date.now()) - record.startedAt)}`
  )
}
