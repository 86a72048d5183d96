/**
 * verify: wait, then smoke. One readiness deadline for everything applied
 * (the verdict of each resource goes into the record, a failure says which
 * pod and container, with its log tail); then the chart's post-install and
 * post-upgrade hooks (stage/post-deploy.ts); then the smoke checks against the
 * running service, with every secret they could show masked and redacted;
 * then, with soak or an analysis section, the new revision watched and its
 * metrics judged for a while (verify/soak.ts, verify/analysis/).
 * The smoke, soak and analysis modules are loaded only by stages that use them.
 */
import * as core from '@actions/core'
import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import { StageError } from '../errors.js'
import { formatDuration } from '../duration.js'
import type { StageConfig } from '../inputs.js'
import type { AppliedObject, ApplyOptions, PlannedObject } from '../kube/apply.js'
import { describeTimeout, rolledOutPods } from '../kube/status/index.js'
import { waitForReadiness, type WaitOutcome } from '../kube/wait.js'
import { displayName, objectKey } from '../manifests/objects.js'
import { isPostDeployHook } from '../manifests/hooks.js'
import { isPreDeployJob } from '../manifests/pre-deploy.js'
import type { KubeObject } from '../manifests/types.js'
import { normalizeSecret, withoutCredentials } from '../redact.js'
import { rememberSecrets } from '../secrets.js'
import { describeDigestConflict, runningImages, type DigestConflict } from '../report/images.js'
import { info } from '../report/log.js'
import type { StageRecord } from '../report/record.js'
import type { runSmokeChecks, SmokeResult, SmokeSpec } from '../smoke/index.js'
import { warn, type StageContext } from './context.js'
import { finishIsolationCheck, startIsolationCheck } from './isolation.js'
import { runPostDeployHooks } from './post-deploy.js'
import type { AnalysisSpec } from '../verify/analysis/types.js'
import type { ReleaseRecord } from '../promote/release.js'

/** The stage's smoke checks, validated, and the function that runs them. */
export interface SmokeChecks {
  spec: SmokeSpec
  run: typeof runSmokeChecks
}

export interface VerifyInput {
  plan: PlannedObject[]
  applied: AppliedObject[]
  /** The rendered manifests, for the images that were meant to run. */
  rendered: KubeObject[]
  smoke?: SmokeChecks
  /** How the post-deploy hooks are applied: as the rest of the plan was. */
  options: ApplyOptions
  /** The previous stage's release record: metric analysis compares with its values. */
  upstream?: ReleaseRecord
  /** A canary or blue-green strategy soaked and analysed the new version step by step already. */
  judged?: boolean
}

export async function verify(stage: StageContext, input: VerifyInput): Promise<void> {
  const { client, config, record } = stage
  // With isolate: the network's enforcement is probed while the rollout is waited on.
  const isolation = startIsolationCheck(stage)
  // wait: one deadline for everything
  const appliedByKey = new Map(input.applied.map(a => [objectKey(a.object), a.object]))
  const outcome = await core.group(`Waiting up to ${formatDuration(config.timeoutMs)} for readiness`, () =>
    waitForReadiness(
      client,
      // Pre-deploy Jobs completed before the workloads were applied (stage/pre-deploy.ts);
      // post-deploy hooks are not applied yet.
      input.plan
        .filter(p => !isPreDeployJob(p.object) && !isPostDeployHook(p.object))
        .map(p => ({
          object: appliedByKey.get(objectKey(p.object)) ?? p.object,
          resource: p.resource
        })),
      {
        timeoutMs: config.timeoutMs,
        waitForLoadBalancer: config.waitForLoadBalancer,
        unschedulableGraceMs: config.unschedulableGraceMs,
        log: line => info(line)
      }
    )
  )
  recordReadiness(record, outcome)
  const running = runningImagesOf(input.rendered, appliedByKey, outcome)
  record.images = running.images
  if (outcome.state !== 'Current' || running.conflicts.length > 0) {
    // Its pods are removed whatever the verdict; the failure is the rollout's.
    await isolation?.catch(() => undefined)
    if (outcome.state !== 'Current') throw waitFailure(outcome, config)
    throw digestConflictError(running.conflicts)
  }
  info(`All ${outcome.results.length} resource(s) ready in ${formatDuration(outcome.elapsedMs)}`)
  if (isolation) await finishIsolationCheck(stage, isolation)

  // post-deploy hooks: the release is up; they run before it is judged
  const hooks = input.plan.filter(p => isPostDeployHook(p.object))
  if (hooks.length > 0) await postDeploy(stage, hooks, input.options)

  // smoke: the running service answers as it should
  if (input.smoke) await smoke(stage, input.smoke)

  // soak and analysis: it keeps doing so, its pods keep running and its metrics stay good, for a while.
  // After a canary or blue-green strategy they judged each step already: the smoke checks suffice.
  if (input.judged) return
  await watchRelease(stage, input, { pods: rolledOut(outcome), soakMs: config.soakMs })
}

/** The pods each waited-for workload rolled out, as the wait last saw them. */
export function rolledOut(outcome: WaitOutcome): V1Pod[] {
  const context = { pods: outcome.pods as V1Pod[], replicaSets: outcome.replicaSets as V1ReplicaSet[] }
  return outcome.results.flatMap(r => rolledOutPods(r.object, context))
}

/** What a judgement watches: the pods of the new version, for how long, and where the smoke checks go. */
export interface Judging {
  pods: V1Pod[]
  soakMs: number
  /** The smoke checks' base URL when it is not smoke-url (a blue-green preview). */
  baseUrl?: string
  /** false: no smoke checks now (a preview without preview-url); the soak and analysis still watch. */
  smoke?: boolean
}

/**
 * The new version judged: the smoke checks once (with `smoke`), then, with a soak or an
 * analysis section, its pods watched and its metrics measured for a while.
 */
export async function judge(
  stage: StageContext,
  input: Pick<VerifyInput, 'smoke' | 'upstream'>,
  judging: Judging
): Promise<void> {
  if (input.smoke && judging.smoke !== false) await smoke(stage, input.smoke, judging.baseUrl)
  await watchRelease(stage, input, judging)
}

async function watchRelease(
  stage: StageContext,
  input: Pick<VerifyInput, 'smoke' | 'upstream'>,
  judging: Judging
): Promise<void> {
  const analysis = input.smoke?.spec.analysis
  if (judging.soakMs <= 0 && !analysis) return
  const stop = new AbortController()
  // The first failure ends both: the other stops at its next step.
  const watching = [
    judging.soakMs > 0 ? soakRelease(stage, judging, input.smoke, stop.signal) : undefined,
    analysis ? analyse(stage, analysis, input.upstream, judging.pods, stop.signal) : undefined
  ].filter(Boolean) as Promise<void>[]
  await Promise.all(
    watching.map(task =>
      task.catch((error: unknown) => {
        stop.abort()
        throw error
      })
    )
  )
}

/**
 * ${PODS} in a query: a regular expression matching exactly the judged pods' names. A dot is
 * "[.]", not a backslash and a dot: queries write pod=~"${PODS}", and in a PromQL "..." string that is a parse
 * error. With no pods, "a^" matches nothing (an empty match would pick series without a pod label).
 */
export function podsPattern(pods: readonly V1Pod[]): string {
  const names = pods.map(p =>
    (p.metadata?.name ?? '').replace(/[.*+?^${}()|[\]\\]/g, c => (c === '.' ? '[.]' : `\\${c}`))
  )
  return names.length > 0 ? names.join('|') : 'a^'
}

async function analyse(
  { config, record }: StageContext,
  spec: AnalysisSpec,
  upstream: ReleaseRecord | undefined,
  pods: readonly V1Pod[],
  signal: AbortSignal
): Promise<void> {
  const { runAnalysis } = await import('../verify/analysis/run.js')
  const results = await core.group(`Analysis: ${spec.metrics.length} metric(s) from Prometheus`, () =>
    runAnalysis(spec, {
      url: config.prometheusUrl!,
      headers: config.prometheusHeaders,
      variables: { NAMESPACE: config.namespace, ENVIRONMENT: config.environment, PODS: podsPattern(pods) },
      upstream: upstream?.analysis && { environment: upstream.environment, values: upstream.analysis },
      log: line => info(line),
      signal
    })
  )
  record.analysis = results
  for (const result of results) info(`Analysis ${result.name}: ${result.phase}: ${result.reason}`)
  const failed = results.filter(r => r.phase === 'Failed')
  if (failed.length > 0)
    throw new StageError(
      'AnalysisFailed',
      `Analysis: ${failed.length} of ${results.length} metric(s) failed; ${failed[0].name}: ${failed[0].reason}`,
      { details: failed.map(r => `${r.name}: ${r.reason}`) }
    )
  const inconclusive = results.filter(r => r.phase === 'Inconclusive')
  if (inconclusive.length === 0) return
  const message = `Analysis: ${inconclusive.length} metric(s) inconclusive (no data is not a pass); ${inconclusive[0].name}: ${inconclusive[0].reason}`
  if (config.analysisInconclusive === 'fail')
    throw new StageError('AnalysisInconclusive', message, {
      details: inconclusive.map(r => `${r.name}: ${r.reason}`)
    })
  warn(record, message)
}

async function soakRelease(
  stage: StageContext,
  judging: Judging,
  smokeChecks: SmokeChecks | undefined,
  signal: AbortSignal
): Promise<void> {
  const { client, config, record } = stage
  record.soak = { plannedMs: judging.soakMs, watchedMs: 0, pods: 0, rounds: 0, passed: false }
  const { soak } = await import('../verify/soak.js')
  await core.group(`Soak: watching the release for ${formatDuration(judging.soakMs)}`, () =>
    soak(client, {
      namespace: config.namespace,
      durationMs: judging.soakMs,
      intervalMs: config.soakIntervalMs,
      pods: judging.pods,
      smokeRound:
        smokeChecks?.spec.checks.length && judging.smoke !== false
          ? async () =>
              (await runChecks(stage, smokeChecks, 'Soak: smoke checks again', judging.baseUrl))
                .filter(r => !r.passed)
                .map(r => r.name)
          : undefined,
      log: line => info(line),
      record: record.soak!,
      signal
    })
  )
}

async function postDeploy(stage: StageContext, hooks: PlannedObject[], options: ApplyOptions): Promise<void> {
  const { record } = stage
  await core.group(`Running ${hooks.length} post-deploy hook(s) before the smoke checks`, () =>
    runPostDeployHooks(stage, hooks, options, ({ object, action }) => {
      info(`${displayName(object)}: ${action}`)
      const { apiVersion, kind, metadata } = object
      record.resources.push({ apiVersion, kind, name: metadata.name, namespace: metadata.namespace, action })
    })
  )
}

/** The smoke checks of smoke-url and smoke-checks, validated (jq compiled) before anything is written. */
export async function loadSmoke(config: StageConfig): Promise<SmokeChecks | undefined> {
  if (!config.smokeUrl && !config.smokeTests) return undefined
  const smokeModule = await import('../smoke/index.js')
  const spec = smokeModule.loadSmokeSpec({
    smokeUrl: config.smokeUrl,
    smokeTests: config.smokeTests,
    workspace: config.github.workspace
  })
  if (spec?.analysis && !config.prometheusUrl)
    throw new StageError(
      'InvalidInput',
      `The smoke checks (${spec.source}) have an analysis section, but no prometheus-url input says where Prometheus answers.`
    )
  // jq assertions compile now, so a typo is refused before anything is written.
  if (spec) await smokeModule.prepareSmokeSpec(spec)
  return spec && { spec, run: smokeModule.runSmokeChecks }
}

/** Runs the smoke checks once, with every secret they could show masked and redacted. */
export async function runChecks(
  { config, credentials }: StageContext,
  smokeChecks: SmokeChecks,
  title: string,
  baseUrl = config.smokeUrl
): Promise<SmokeResult[]> {
  const { spec, run: runSmokeChecks } = smokeChecks
  const smokeSecrets = config.smokeSecrets
    .map(name => process.env[name])
    .filter((v): v is string => Boolean(v))
    .map(normalizeSecret)
  const urlPassword = baseUrl && new URL(baseUrl).password
  if (urlPassword) smokeSecrets.push(decodeURIComponent(urlPassword))
  rememberSecrets(smokeSecrets)
  const secrets = [...smokeSecrets, ...credentials]
  const results = await core.group(title, () =>
    runSmokeChecks(spec, {
      baseUrl,
      env: process.env,
      secrets,
      tls: { caFile: config.smokeCaFile, insecure: config.smokeInsecure },
      workspace: config.github.workspace,
      log: line => info(line)
    })
  )
  for (const result of results) {
    info(
      `smoke ${result.name}: ${result.passed ? 'passed' : 'FAILED'} after ${result.attempts} attempt(s) in ${formatDuration(result.durationMs)}`
    )
  }
  return results
}

/** Smoke checks against the running service. */
async function smoke(stage: StageContext, smokeChecks: SmokeChecks, baseUrl?: string): Promise<void> {
  const { config, record } = stage
  const { spec } = smokeChecks
  if (config.smokeInsecure)
    warn(record, 'smoke-insecure is set: TLS certificates of the smoke target are not verified.')
  record.smoke = await runChecks(
    stage,
    smokeChecks,
    `Smoke checks (${spec.checks.length})${baseUrl ? ` against ${withoutCredentials(baseUrl)}` : ''}`,
    baseUrl
  )
  const failed = record.smoke.filter(r => !r.passed)
  if (failed.length > 0) {
    const inline = spec.source === 'smoke-checks' || spec.source === 'smoke-url'
    // One annotation per failed check, on its line of the checks file; fail() places the first one's.
    for (const result of failed.slice(1)) {
      core.error(`Smoke check "${result.name}" failed: ${result.reason ?? 'failed'}`, {
        title: `smoke: ${result.name}`,
        ...(inline ? {} : { file: spec.source, startLine: result.line })
      })
    }
    throw new StageError(
      'SmokeFailed',
      `${failed.length} of ${record.smoke.length} smoke check(s) failed; first, "${failed[0].name}": ${failed[0].reason ?? 'failed'}`,
      {
        location: inline ? undefined : { file: spec.source, line: failed[0].line },
        details: failed.map(r => `${r.name}: ${r.reason ?? 'failed'} (${r.attempts} attempt(s))`)
      }
    )
  }
}

/**
 * The images of the rendered workloads, with the digests their rolled-out pods
 * report: each workload as the wait last saw it (else as applied) says which
 * pods those are.
 */
function runningImagesOf(
  rendered: KubeObject[],
  applied: ReadonlyMap<string, KubeObject>,
  outcome: WaitOutcome
): ReturnType<typeof runningImages> {
  const latest = new Map(outcome.results.map(r => [objectKey(r.object), r.object]))
  return runningImages(
    rendered.map(object => ({
      rendered: object,
      live: latest.get(objectKey(object)) ?? applied.get(objectKey(object))
    })),
    { pods: outcome.pods as V1Pod[], replicaSets: outcome.replicaSets as V1ReplicaSet[] }
  )
}

/** The stage's own pods disagree on what an image is: no digest can be promoted for it. */
function digestConflictError(conflicts: DigestConflict[]): StageError {
  const details = conflicts.map(describeDigestConflict)
  return new StageError(
    'DigestConflict',
    `The pods this stage rolled out run ${conflicts.length === 1 ? 'an image' : `${conflicts.length} images`} with different digests, so no digest can be recorded for the next stage: ${details.join('; ')}`,
    { details }
  )
}

function recordReadiness(record: StageRecord, outcome: WaitOutcome): void {
  for (const result of outcome.results) {
    const resource = record.resources.find(
      r => r.kind === result.object.kind && r.name === result.object.metadata.name
    )
    if (!resource) continue
    resource.readiness = result.readiness.state
    resource.readinessMessage = result.readiness.message
    resource.readyAfterMs = result.readyAfterMs
  }
}

/** The stage's failure for a wait that did not end Current. */
export function waitFailure(outcome: WaitOutcome, config: StageConfig): StageError {
  if (outcome.state === 'Timeout') {
    const missing = describeTimeout(outcome.results)
    return new StageError(
      'Timeout',
      `${missing.length} of ${outcome.results.length} resource(s) were not ready after ${formatDuration(config.timeoutMs)}: ${missing.join('; ')}`,
      { details: missing }
    )
  }
  const failed = outcome.failed!
  const failure = failed.failure
  // Not the object's fault: the identity may not see it.
  if (failure.code === 'Forbidden' || failure.code === 'ClusterUnreachable')
    return new StageError(
      failure.code,
      failure.reason.replace(/^./, c => c.toUpperCase())
    )
  return new StageError(failure.code, `${displayName(failed.object)} failed: ${failure.reason}`, {
    evidence: failed.logTail
      ? [{ title: `Last log lines of ${failure.pod}/${failure.container}`, text: failed.logTail }]
      : []
  })
}
