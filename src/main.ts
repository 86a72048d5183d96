/**
 * One environment's stage, top to bottom:
 *   plan → preflight → apply → wait → report
 * Every step records what it learned in a StageRecord; the summary and the
 * outputs are written from it in `finally`, so a stage that fails early still
 * says what it knew. Errors are caught once, here.
 */
import * as core from '@actions/core'
import { isStageError, StageError } from './errors.js'
import { readStageConfig, type StageConfig } from './inputs.js'
import { formatDuration } from './duration.js'
import { parseManifestEntries, loadManifests } from './manifests/load.js'
import { transformManifests } from './manifests/transform.js'
import { orderForApply } from './manifests/order.js'
import { displayName, objectKey } from './manifests/objects.js'
import type { KubeObject, LoadedManifest } from './manifests/types.js'
import { createClient, kubeconfigSecrets, verifyConnection, type KubeClient } from './kube/client.js'
import { guardNamespace, namespaceManifest, readNamespace } from './kube/namespace.js'
import { applyPlanned, planApply, type ApplyOptions, type PlannedObject } from './kube/apply.js'
import { waitForReadiness, type WaitOutcome } from './kube/wait.js'
import { newStageRecord, stageResult, type StageRecord } from './report/record.js'
import { renderSummary } from './report/summary.js'
import { writeOutputs } from './report/outputs.js'

const PROVENANCE = {
  commit: 'kube-stage.dev/commit',
  runUrl: 'kube-stage.dev/run-url',
  workflow: 'kube-stage.dev/workflow',
  actor: 'kube-stage.dev/actor'
}

export async function run(): Promise<void> {
  const record = newStageRecord()
  try {
    const config = readStageConfig(name => core.getInput(name), process.env)
    await runStage(config, record)
  } catch (error) {
    fail(record, error)
  } finally {
    record.finishedAt = Date.now()
    await finishReport(record)
  }
}

async function runStage(config: StageConfig, record: StageRecord): Promise<void> {
  Object.assign(record, {
    environment: config.environment,
    namespace: config.namespace,
    commit: config.github.sha,
    runUrl: config.github.runUrl,
    repositoryUrl: config.github.repositoryUrl
  })

  // plan: everything that can be checked without the cluster
  const loaded = await loadManifests(parseManifestEntries(config.manifests), config.github.workspace)
  core.info(`Loaded ${loaded.length} object(s) from ${new Set(loaded.map(m => m.source.file)).size} file(s)`)

  const client = await connect(config, record)
  const namespaceState = await readNamespace(client, config.namespace)
  guardNamespace(config.namespace, config.environment, namespaceState)

  const objects = await prepareObjects(config, client, loaded)
  const locate = locator(loaded)
  const applyOptions: ApplyOptions = {
    fieldManager: config.fieldManager,
    force: config.forceConflicts,
    concurrency: 16,
    volatileAnnotations: Object.values(PROVENANCE),
    locate
  }

  // preflight: a server-side dry run of the whole set before any write
  const plan = await preflight(client, config, objects, applyOptions, namespaceState.exists)

  // apply: tiers in dependency order
  const tiers = orderForApply(plan.map(p => p.object)).map(tier =>
    tier.map(o => plan.find(p => p.object === o)!)
  )
  const applied = await core.group(`Applying ${plan.length} object(s) in ${tiers.length} tier(s)`, () =>
    applyPlanned(client, tiers, applyOptions, a => core.info(`${displayName(a.object)}: ${a.action}`))
  )
  record.resources = applied.map(a => ({
    apiVersion: a.object.apiVersion,
    kind: a.object.kind,
    name: a.object.metadata.name,
    namespace: a.object.metadata.namespace,
    action: a.action
  }))

  // wait: one deadline for everything
  const outcome = await core.group(`Waiting up to ${formatDuration(config.timeoutMs)} for readiness`, () =>
    waitForReadiness(
      client,
      plan.map(p => ({
        object: applied.find(a => objectKey(a.object) === objectKey(p.object))?.object ?? p.object,
        resource: p.resource
      })),
      { timeoutMs: config.timeoutMs, waitForLoadBalancer: false, log: line => core.info(line) }
    )
  )
  recordReadiness(record, outcome)
  if (outcome.state !== 'Current') throw waitFailure(outcome, config)
  core.info(`All ${outcome.results.length} resource(s) ready in ${formatDuration(outcome.elapsedMs)}`)
}

async function connect(config: StageConfig, record: StageRecord): Promise<KubeClient> {
  if (config.kubeconfig) core.setSecret(config.kubeconfig)
  const client = await createClient({ kubeconfig: config.kubeconfig, context: config.context })
  // Mask every credential before anything could print it.
  for (const secret of kubeconfigSecrets(client.kubeConfig)) core.setSecret(secret)
  record.server = client.server
  record.clusterVersion = await verifyConnection(client)
  core.info(`Connected to ${client.server} (Kubernetes ${record.clusterVersion})`)
  return client
}

async function prepareObjects(
  config: StageConfig,
  client: KubeClient,
  loaded: LoadedManifest[]
): Promise<KubeObject[]> {
  const annotations: Record<string, string> = {}
  if (config.github.sha) annotations[PROVENANCE.commit] = config.github.sha
  if (config.github.runUrl) annotations[PROVENANCE.runUrl] = config.github.runUrl
  if (config.github.workflow) annotations[PROVENANCE.workflow] = config.github.workflow
  if (config.github.actor) annotations[PROVENANCE.actor] = config.github.actor
  const scopes = new Map<string, boolean | undefined>()
  await Promise.all(
    loaded.map(async ({ object }) => {
      const key = `${object.apiVersion}|${object.kind}`
      if (!scopes.has(key)) scopes.set(key, undefined)
      const resource = await client.resourceFor(object.apiVersion, object.kind)
      if (resource) scopes.set(key, !resource.namespaced)
    })
  )
  const transformed = transformManifests(
    loaded.map(m => m.object),
    {
      namespace: config.namespace,
      allowOtherNamespaces: false,
      allowClusterScoped: false,
      isClusterScoped: (apiVersion, kind) => scopes.get(`${apiVersion}|${kind}`),
      labels: { environment: config.environment },
      annotations
    }
  )
  return [namespaceManifest(config.namespace, config.environment), ...transformed]
}

function locator(loaded: LoadedManifest[]) {
  const byName = new Map(loaded.map(m => [`${m.object.kind}/${m.object.metadata.name}`, m.source]))
  return (object: KubeObject) => byName.get(`${object.kind}/${object.metadata.name}`)
}

/**
 * The namespace must exist for namespaced objects to be dry-run. When this
 * stage had to create it and the dry run then fails, it is deleted again so a
 * refused stage leaves the cluster as it found it.
 */
async function preflight(
  client: KubeClient,
  config: StageConfig,
  objects: KubeObject[],
  options: ApplyOptions,
  namespaceExisted: boolean
): Promise<PlannedObject[]> {
  const [namespace, ...rest] = objects
  if (namespaceExisted) return planApply(client, objects, options)
  const nsPlan = await planApply(client, [namespace], options)
  await applyPlanned(client, [nsPlan], options)
  core.info(`Created namespace ${config.namespace}`)
  try {
    return [
      ...nsPlan.map(p => ({ ...p, action: 'created' as const, live: undefined })),
      ...(await planApply(client, rest, options))
    ]
  } catch (error) {
    await client
      .send('DELETE', `/api/v1/namespaces/${encodeURIComponent(config.namespace)}`)
      .catch(() => undefined)
    core.info(`Deleted namespace ${config.namespace} again: the dry run failed`)
    throw error
  }
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

function waitFailure(outcome: WaitOutcome, config: StageConfig): StageError {
  if (outcome.state === 'Timeout') {
    const missing = outcome.results.filter(r => r.readiness.state !== 'Current')
    return new StageError(
      'Timeout',
      `${missing.length} of ${outcome.results.length} resource(s) were not ready after ${formatDuration(config.timeoutMs)}.`,
      { details: missing.map(r => `${displayName(r.object)}: ${r.readiness.message}`) }
    )
  }
  const failed = outcome.failed!
  return new StageError(
    failed.failure.code,
    `${displayName(failed.object)} failed: ${failed.failure.reason}`,
    {
      details: failed.logTail
        ? [`last log lines of ${failed.failure.pod}/${failed.failure.container}:`, failed.logTail]
        : []
    }
  )
}

function fail(record: StageRecord, error: unknown): void {
  const stageError = isStageError(error)
    ? error
    : new StageError('Internal', (error as Error)?.message ?? String(error), { cause: error })
  record.failure = {
    code: stageError.code,
    message: stageError.message,
    details: stageError.details,
    location: stageError.location
  }
  for (const detail of stageError.details) core.info(`  ${detail}`)
  const location = stageError.location
  if (location) {
    // One annotation, placed on the file and line at fault (setFailed would add a second, unplaced one).
    core.error(stageError.message, {
      file: location.file,
      startLine: location.line,
      startColumn: location.column
    })
    process.exitCode = 1
  } else {
    core.setFailed(stageError.message)
  }
}

async function finishReport(record: StageRecord): Promise<void> {
  writeOutputs(record)
  try {
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(renderSummary(record)).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${(error as Error).message}`)
  }
  core.info(
    `Stage ${stageResult(record)} in ${formatDuration((record.finishedAt ?? Date.now()) - record.startedAt)}`
  )
}
