/**
 * One environment's stage, top to bottom:
 *   plan → preflight → apply → wait → smoke → report (→ roll back on failure)
 * Every step records what it learned in a StageRecord; the summary and the
 * outputs are written from it in `finally`, so a stage that fails early still
 * says what it knew. Errors are caught once, here.
 */
import * as core from '@actions/core'
import { isStageError, StageError, type ErrorLocation } from './errors.js'
import { asKubeApiError } from './kube/errors.js'
import { forbiddenError, rethrowForbidden } from './kube/forbidden.js'
import { info } from './report/log.js'
import { checkPodAdmission } from './kube/admission.js'
import { stampConfigDigests } from './manifests/config-digest.js'
import type { SmokeResult } from './smoke/types.js'
import { normalizeSecret, withoutCredentials } from './redact.js'
import { readStageConfig, type StageConfig } from './inputs.js'
import { formatDuration } from './duration.js'
import { parseManifestEntries, loadManifests } from './manifests/load.js'
import { transformManifests } from './manifests/transform.js'
import { orderForApply } from './manifests/order.js'
import { applyImageOverrides, parseImageOverrides, type ImageChange } from './manifests/images.js'
import { checkReferences, findReferences, referenceError } from './manifests/references.js'
import { displayName, objectKey } from './manifests/objects.js'
import type { KubeObject, LoadedManifest } from './manifests/types.js'
import {
  createClient,
  kubeconfigSecrets,
  signedCredentials,
  verifyConnection,
  type KubeClient
} from './kube/client.js'
import {
  deleteNamespace,
  guardNamespace,
  isolationPolicy,
  namespaceManifest,
  readNamespace,
  removeIsolationPolicy,
  ENVIRONMENT_LABEL
} from './kube/namespace.js'
import { existingConfigNames } from './kube/existing.js'
import {
  applyPlanned,
  crdResources,
  planApply,
  type AppliedObject,
  type ApplyOptions,
  type PlannedObject
} from './kube/apply.js'
import { configRollbackTargets, restoreConfig, rollBack, rollbackTargets } from './kube/rollback.js'
import { waitForReadiness, type WaitOutcome } from './kube/wait.js'
import { describeTimeout } from './kube/status/index.js'
import { newStageRecord, stageResult, type StageRecord } from './report/record.js'
import { renderSummary } from './report/summary.js'
import { writeOutputs } from './report/outputs.js'
import { runningImages } from './report/images.js'
import { GitHubDeployment } from './report/github-deployment.js'
import {
  buildRelease,
  configFingerprint,
  objectDigests,
  releaseSizeWarning,
  fitRelease,
  objectFields,
  summariseLike,
  renderedImages,
  splitExpected
} from './promote/release.js'
import { checkPromotion, missingPromotionError, parseRelease, promotionError } from './promote/guard.js'
import { compareParity } from './promote/parity.js'

/** Annotations on every applied object; they change every run, so they never count as a change. */
const PROVENANCE = {
  commit: 'kube-stage.dev/commit',
  runUrl: 'kube-stage.dev/run-url',
  workflow: 'kube-stage.dev/workflow',
  actor: 'kube-stage.dev/actor'
}

/** What the release record is built from, once the manifests are rendered. */
interface Rendered {
  config: StageConfig
  objects: KubeObject[]
}

export async function run(): Promise<void> {
  const record = newStageRecord()
  const rendered: Partial<Rendered> = {}
  let deployment: GitHubDeployment | undefined
  try {
    const config = readStageConfig(name => core.getInput(name), process.env)
    // A user:password@ in the smoke URL is for the checks, never for the outputs or the deployment.
    const environmentUrl = config.environmentUrl ?? config.smokeUrl
    record.environmentUrl = environmentUrl && withoutCredentials(environmentUrl)
    deployment = await openDeployment(config, record)
    await runStage(config, record, rendered)
  } catch (error) {
    fail(record, error)
  } finally {
    record.finishedAt = Date.now()
    if (rendered.config && rendered.objects) {
      const fitted = fitRelease(release(record, rendered as Rendered))
      record.release = JSON.stringify(fitted)
      const tooLarge = releaseSizeWarning(fitted, record.release)
      if (tooLarge) warn(record, tooLarge)
    }
    await finishReport(record, deployment)
  }
}

async function runStage(
  config: StageConfig,
  record: StageRecord,
  rendered: Partial<Rendered>
): Promise<void> {
  Object.assign(record, {
    environment: config.environment,
    namespace: config.namespace,
    commit: config.github.sha,
    runUrl: config.github.runUrl,
    repositoryUrl: config.github.repositoryUrl
  })

  // plan: everything that can be checked without the cluster
  const loaded = await loadManifests(parseManifestEntries(config.manifests), config.github.workspace)
  info(`Loaded ${loaded.length} object(s) from ${new Set(loaded.map(m => m.source.file)).size} file(s)`)
  const overrides = config.images ? parseImageOverrides(config.images) : []
  const smokeChecks = await loadSmoke(config)

  const client = await connect(config, record)
  const namespaceState = await readNamespace(client, config.namespace).catch(
    rethrowForbidden(`read the environment label of namespace ${config.namespace}`)
  )
  guardNamespace(config.namespace, config.environment, namespaceState)

  const transformed = await transform(config, client, loaded)
  await guardOtherNamespaces(client, config, transformed)
  let images = applyImageOverrides(transformed, overrides)
  for (const entry of images.unmatched)
    warn(record, `Image override "${entry}" matched no container in the manifests.`)
  if (config.requirePromotionFrom && !config.promoteFrom)
    throw missingPromotionError(config.requirePromotionFrom)
  if (config.promoteFrom) images = promote(config, record, images.objects, images.changes)
  for (const change of images.changes)
    info(`${change.workload} ${change.container}: image ${change.from} → ${change.to}`)
  rendered.config = config
  // A configuration change rolls the pods that consume it, so they run it before they are verified.
  if (config.configRollout) images = { ...images, objects: stampConfigDigests(images.objects) }
  rendered.objects = images.objects
  // A namespace the platform team made and labelled for this environment is not written:
  // a deployer with a namespace-scoped Role may not patch it.
  const namespaceReady =
    namespaceState.exists && namespaceState.labels[ENVIRONMENT_LABEL] === config.environment
  const objects = [
    ...(namespaceReady ? [] : [namespaceManifest(config.namespace, config.environment)]),
    ...images.objects,
    ...(config.isolate ? [isolationPolicy(config.namespace, config.environment)] : [])
  ]

  // preflight: references, then a server-side dry run of the whole set, before any write
  await checkConfigReferences(client, config, objects, namespaceState.exists)
  const applyOptions: ApplyOptions = {
    fieldManager: config.fieldManager,
    force: config.forceConflicts,
    concurrency: 32,
    volatileAnnotations: Object.values(PROVENANCE),
    locate: locator(loaded)
  }
  const preflightStarted = Date.now()
  const plan = await preflight(client, config, objects, applyOptions, namespaceState.exists)
  const preflightMs = Date.now() - preflightStarted
  const warned = showApiWarnings(record, plan, applyOptions.locate!)
  if (config.warningsAsErrors && warned.size > 0)
    throw new StageError(
      'PreflightWarning',
      `The dry run returned ${warned.size} warning(s) and warnings-as-errors is set; nothing was applied: ${[...warned][0]}`,
      { details: [...warned] }
    )

  // apply: tiers in dependency order
  const applyStarted = Date.now()
  const tiers = orderForApply(plan.map(p => p.object)).map(tier =>
    tier.map(o => plan.find(p => p.object === o)!)
  )
  const written = new Set<string>()
  try {
    const applied = await core.group(`Applying ${plan.length} object(s) in ${tiers.length} tier(s)`, () =>
      applyPlanned(client, tiers, applyOptions, a => {
        written.add(objectKey(a.object))
        info(`${displayName(a.object)}: ${a.action}`)
        showApiWarnings(record, [a], applyOptions.locate!, warned)
      })
    )
    const counts = ['created', 'configured', 'unchanged'].map(
      action => `${applied.filter(a => a.action === action).length} ${action}`
    )
    info(
      `Applied ${applied.length} object(s) (${counts.join(', ')}): dry run ${formatDuration(preflightMs)}, apply ${formatDuration(Date.now() - applyStarted)}`
    )
    if (!config.isolate && namespaceState.exists && (await removeIsolationPolicy(client, config.namespace)))
      info(`Removed the isolation NetworkPolicy from ${config.namespace}: isolate is off`)
    record.resources = applied.map(a => ({
      apiVersion: a.object.apiVersion,
      kind: a.object.kind,
      name: a.object.metadata.name,
      namespace: a.object.metadata.namespace,
      action: a.action
    }))
    await waitAndSmoke(client, config, record, plan, applied, images.objects, smokeChecks)
  } catch (error) {
    if (config.rollback) {
      // Only what this stage wrote goes back (a later tier may have failed to apply);
      // a rollback that fails must not hide why the stage failed.
      const changed = plan.filter(p => written.has(objectKey(p.object)))
      const verify =
        smokeChecks &&
        (async () =>
          runChecks(
            config,
            smokeChecks,
            await credentials(config, client),
            'Smoke checks against the restored version'
          ))
      await rollBackFailedStage(client, config, record, changed, verify).catch(rollbackError =>
        warn(record, `Rollback failed: ${(rollbackError as Error).message}`)
      )
    }
    throw error
  }
}

async function waitAndSmoke(
  client: KubeClient,
  config: StageConfig,
  record: StageRecord,
  plan: PlannedObject[],
  applied: AppliedObject[],
  rendered: KubeObject[],
  smokeChecks: Awaited<ReturnType<typeof loadSmoke>>
): Promise<void> {
  // wait: one deadline for everything
  const appliedByKey = new Map(applied.map(a => [objectKey(a.object), a.object]))
  const outcome = await core.group(`Waiting up to ${formatDuration(config.timeoutMs)} for readiness`, () =>
    waitForReadiness(
      client,
      plan.map(p => ({ object: appliedByKey.get(objectKey(p.object)) ?? p.object, resource: p.resource })),
      {
        timeoutMs: config.timeoutMs,
        waitForLoadBalancer: config.waitForLoadBalancer,
        unschedulableGraceMs: config.unschedulableGraceMs,
        log: line => info(line)
      }
    )
  )
  recordReadiness(record, outcome)
  record.images = runningImages(rendered, outcome.pods)
  if (outcome.state !== 'Current') throw waitFailure(outcome, config)
  info(`All ${outcome.results.length} resource(s) ready in ${formatDuration(outcome.elapsedMs)}`)

  // smoke: the running service answers as it should
  await smoke(config, record, smokeChecks, await credentials(config, client))
}

/** Bounds the wait for the restored version: it was serving minutes ago. */
const ROLLBACK_WAIT_MS = 120_000

/**
 * Nothing lost: workloads this stage changed get their previous pod template
 * back and are waited on until they serve again. Objects this stage created,
 * and configuration it changed, stay as applied (and are listed in the summary).
 */
async function rollBackFailedStage(
  client: KubeClient,
  config: StageConfig,
  record: StageRecord,
  plan: PlannedObject[],
  verify?: () => Promise<SmokeResult[]>
): Promise<void> {
  const targets = rollbackTargets(plan)
  const configs = configRollbackTargets(plan)
  if (targets.length === 0 && configs.length === 0) return
  await core.group(
    `Rolling back ${targets.length} workload(s) and ${configs.length} ConfigMap(s) and Secret(s)`,
    async () => {
      // Configuration first: the restored pods must start with the previous release's configuration.
      const config_ = await restoreConfig(client, configs, config.fieldManager)
      const result = await rollBack(client, targets, config.fieldManager)
      result.failed.push(...config_.failed)
      const restored = [...config_.restored, ...result.restored.map(r => displayName(r.object))]
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
      if (targets.length === 0 && config_.restored.length > 0) {
        ready = true
        message = 'configuration restored'
      }
      // The restored version is verified as the release was: its checks must pass again.
      const verified = ready && verify ? await verify() : undefined
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

/** The smoke module is loaded only by stages that have smoke checks; their file is validated before any write. */
async function loadSmoke(config: StageConfig) {
  if (!config.smokeUrl && !config.smokeTests) return undefined
  const smokeModule = await import('./smoke/index.js')
  const spec = smokeModule.loadSmokeSpec({
    smokeUrl: config.smokeUrl,
    smokeTests: config.smokeTests,
    workspace: config.github.workspace
  })
  // jq assertions compile now, so a typo is refused before anything is written.
  if (spec) await smokeModule.prepareSmokeSpec(spec)
  return spec && { spec, run: smokeModule.runSmokeChecks }
}

/** The stage's own credentials: a smoke script or response must not show them either. */
async function credentials(config: StageConfig, client: KubeClient): Promise<string[]> {
  return [
    ...kubeconfigSecrets(client.kubeConfig),
    ...(await signedCredentials(client.kubeConfig, client.server).catch(() => [])),
    ...(config.githubToken ? [config.githubToken] : [])
  ]
}

/** Smoke checks against the running service. */
async function smoke(
  config: StageConfig,
  record: StageRecord,
  smokeChecks: Awaited<ReturnType<typeof loadSmoke>>,
  stageCredentials: string[]
): Promise<void> {
  if (!smokeChecks) return
  const { spec } = smokeChecks
  if (config.smokeInsecure)
    warn(record, 'smoke-insecure is set: TLS certificates of the smoke target are not verified.')
  record.smoke = await runChecks(
    config,
    smokeChecks,
    stageCredentials,
    `Smoke checks (${spec.checks.length})`
  )
  const failed = record.smoke.filter(r => !r.passed)
  if (failed.length > 0) {
    const inline = spec.source === 'smoke-tests' || spec.source === 'smoke-url'
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

/** Runs the smoke checks once, with every secret they could show masked and redacted. */
async function runChecks(
  config: StageConfig,
  smokeChecks: NonNullable<Awaited<ReturnType<typeof loadSmoke>>>,
  stageCredentials: string[],
  title: string
) {
  const { spec, run: runSmokeChecks } = smokeChecks
  const smokeSecrets = config.smokeSecrets
    .map(name => process.env[name])
    .filter((v): v is string => Boolean(v))
    .map(normalizeSecret)
  const urlPassword = config.smokeUrl && new URL(config.smokeUrl).password
  if (urlPassword) smokeSecrets.push(decodeURIComponent(urlPassword))
  for (const secret of smokeSecrets) core.setSecret(secret)
  const secrets = [...smokeSecrets, ...stageCredentials]
  const results = await core.group(title, () =>
    runSmokeChecks(spec, {
      baseUrl: config.smokeUrl,
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

/**
 * Nothing reaches this stage that did not pass the previous one: the same
 * commit, the same images (tag-only ones pinned to the digest that ran there).
 * Then parity: configuration that differs from the previous stage's.
 */
function promote(
  config: StageConfig,
  record: StageRecord,
  objects: KubeObject[],
  changes: ImageChange[]
): { objects: KubeObject[]; changes: ImageChange[]; unmatched: string[] } {
  const upstream = parseRelease(config.promoteFrom!)
  const check = checkPromotion(upstream, {
    commit: config.github.sha,
    images: renderedImages(objects),
    environment: config.environment,
    requiredFrom: config.requirePromotionFrom
  })
  if (check.problems.length > 0) throw promotionError(upstream, check.problems)
  const pinned = applyImageOverrides(objects, check.pins)
  info(`Promotion from ${upstream.environment}: commit and images match what passed there`)
  if (config.parity !== 'off') {
    const expected = splitExpected(config.parityExpected)
    const differences = compareParity(
      upstream,
      summariseLike(
        configFingerprint(pinned.objects, {
          environment: config.environment,
          environmentNames: config.environmentNames,
          salt: config.github.sha
        }),
        upstream.omitted
      ),
      objectDigests(pinned.objects, expected.fields, config.environment),
      {
        environment: config.environment,
        environmentNames: config.environmentNames,
        expected: expected.paths
      },
      upstream.omitted?.includes('per-field values')
        ? {}
        : objectFields(pinned.objects, expected.fields, {
            environment: config.environment,
            environmentNames: config.environmentNames,
            salt: config.github.sha
          })
    )
    record.parity = { from: upstream.environment, mode: config.parity, differences }
    const unexpected = differences.filter(d => !d.expected)
    for (const difference of unexpected) {
      if (config.parity === 'warn') warn(record, `Parity with ${upstream.environment}: ${difference.message}`)
      else info(`Parity with ${upstream.environment}: ${difference.message}`)
    }
    if (config.parity === 'fail' && unexpected.length > 0) {
      throw new StageError(
        'ParityFailed',
        `${unexpected.length} configuration difference(s) from ${upstream.environment} that parity-expected does not declare; nothing was applied: ${unexpected[0].message}.`,
        { details: unexpected.map(d => d.message) }
      )
    }
  }
  return { objects: pinned.objects, changes: [...changes, ...pinned.changes], unmatched: [] }
}

function release(record: StageRecord, rendered: Rendered) {
  const images: Record<string, string> = renderedImages(rendered.objects)
  for (const image of record.images) {
    const key = `${image.workload}:${image.container}`
    if (image.digest && !image.image.includes('@')) images[key] = `${image.image}@${image.digest}`
  }
  return buildRelease({
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
    }
  })
}

async function connect(config: StageConfig, record: StageRecord): Promise<KubeClient> {
  if (config.kubeconfig) core.setSecret(config.kubeconfig)
  const client = await createClient({ kubeconfig: config.kubeconfig, context: config.context })
  // Mask every credential before anything could print it.
  for (const secret of await credentials(config, client)) core.setSecret(secret)
  if (client.kubeConfig.getCurrentCluster()?.skipTLSVerify)
    warn(
      record,
      "The kubeconfig sets insecure-skip-tls-verify: the API server's certificate is not verified, so anyone between this runner and the cluster could read the credentials. Use certificate-authority-data instead."
    )
  record.server = client.server
  record.clusterVersion = await verifyConnection(client)
  info(`Connected to ${client.server} (Kubernetes ${record.clusterVersion})`)
  return client
}

async function transform(
  config: StageConfig,
  client: KubeClient,
  loaded: LoadedManifest[]
): Promise<KubeObject[]> {
  const annotations: Record<string, string> = {}
  if (config.github.sha) annotations[PROVENANCE.commit] = config.github.sha
  if (config.github.runUrl) annotations[PROVENANCE.runUrl] = config.github.runUrl
  if (config.github.workflow) annotations[PROVENANCE.workflow] = config.github.workflow
  if (config.github.actor) annotations[PROVENANCE.actor] = config.github.actor
  // One discovery request per apiVersion tells which kinds are cluster-scoped;
  // custom resources whose CRD is in this very set take its declared scope.
  const declared = crdResources(loaded.map(m => m.object))
  const scopes = new Map<string, boolean | undefined>()
  await Promise.all(
    [...new Set(loaded.map(m => `${m.object.apiVersion}|${m.object.kind}`))].map(async key => {
      const [apiVersion, kind] = key.split('|')
      const resource = (await client.resourceFor(apiVersion, kind)) ?? declared.get(key)
      scopes.set(key, resource ? !resource.namespaced : undefined)
    })
  )
  return transformManifests(
    loaded.map(m => m.object),
    {
      namespace: config.namespace,
      allowOtherNamespaces: config.allowOtherNamespaces,
      allowClusterScoped: config.allowClusterScoped,
      isClusterScoped: (apiVersion, kind) => scopes.get(`${apiVersion}|${kind}`),
      labels: { environment: config.environment },
      annotations
    }
  )
}

/**
 * With allow-other-namespaces, objects may go elsewhere, but never into a
 * namespace that belongs to another environment: the same guard as the stage's own.
 */
async function guardOtherNamespaces(client: KubeClient, config: StageConfig, objects: KubeObject[]) {
  const others = [
    ...new Set(
      objects.map(o => o.metadata.namespace).filter((n): n is string => !!n && n !== config.namespace)
    )
  ]
  const states = await Promise.all(others.map(name => readNamespace(client, name)))
  others.forEach((name, i) => guardNamespace(name, config.environment, states[i]))
}

/** Every Secret and ConfigMap a pod needs must exist, and none may be named for another environment. */
async function checkConfigReferences(
  client: KubeClient,
  config: StageConfig,
  objects: KubeObject[],
  namespaceExists: boolean
): Promise<void> {
  const inManifests = new Set(
    objects.filter(o => o.kind === 'Secret' || o.kind === 'ConfigMap').map(displayName)
  )
  const inCluster = namespaceExists
    ? await existingConfigNames(client, config.namespace).catch(
        rethrowForbidden('check that the Secrets and ConfigMaps the pods use exist')
      )
    : new Set<string>()
  const problems = checkReferences(objects, findReferences(objects), {
    inManifests,
    inCluster,
    environment: config.environment,
    environmentNames: config.environmentNames
  })
  if (problems.length > 0) throw referenceError(problems)
}

function locator(loaded: LoadedManifest[]) {
  const byName = new Map(loaded.map(m => [displayName(m.object), m.source]))
  return (object: KubeObject) => byName.get(displayName(object))
}

/**
 * The dry run of every object, then of every workload's pod: the namespace's
 * pod admission (PodSecurity, quota, webhooks) judges the pods before any write.
 * Its warnings join the workload's own.
 */
async function planAndAdmit(
  client: KubeClient,
  config: StageConfig,
  objects: KubeObject[],
  options: ApplyOptions
): Promise<PlannedObject[]> {
  const plan = await planApply(client, objects, options)
  const created = new Set(
    plan
      .filter(p => p.object.kind === 'ServiceAccount' && p.action === 'created')
      .map(p => p.object.metadata.name)
  )
  const admission = await checkPodAdmission(client, config.namespace, objects, created)
  if (admission.skipped) info(`Pod admission: ${admission.skipped}`)
  for (const { workload, message } of admission.warnings) {
    const planned = plan.find(p => objectKey(p.object) === objectKey(workload))
    if (planned) planned.warnings = [...(planned.warnings ?? []), `pod: ${message}`]
  }
  return plan
}

/** A namespace with nothing in it is gone within seconds once the namespace controller sees it. */
const NAMESPACE_CLEANUP_MS = 60_000

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
  if (namespaceExisted) return planAndAdmit(client, config, objects, options)
  const nsPlan = await planApply(client, [namespace], options)
  const [written] = await applyPlanned(client, [nsPlan], options)
  info(`Created namespace ${config.namespace}`)
  try {
    return [
      { ...nsPlan[0], action: 'created', written: written.object },
      ...(await planAndAdmit(client, config, rest, options))
    ]
  } catch (error) {
    const gone = await deleteNamespace(client, config.namespace, NAMESPACE_CLEANUP_MS).catch(
      (cleanupError: Error) => cleanupError
    )
    info(
      gone === true
        ? `Deleted namespace ${config.namespace} again: the dry run failed`
        : `Namespace ${config.namespace}, created for the dry run that failed, could not be removed again: ${
            gone === false ? `still terminating after ${formatDuration(NAMESPACE_CLEANUP_MS)}` : gone.message
          }`
    )
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

/**
 * The API server's warnings, each once, as an annotation at the object's file
 * and line and in the summary. Returns every warning shown so far.
 */
function showApiWarnings(
  record: StageRecord,
  objects: { object: KubeObject; warnings?: string[] }[],
  locate: (object: KubeObject) => ErrorLocation | undefined,
  shown = new Set<string>()
): Set<string> {
  for (const { object, warnings } of objects) {
    for (const warning of warnings ?? []) {
      const message = `${displayName(object)}: the API server warns: ${warning}`
      if (shown.has(message)) continue
      shown.add(message)
      record.warnings.push(message)
      const at = locate(object)
      core.warning(message, at && { file: at.file, startLine: at.line })
    }
  }
  return shown
}

function warn(record: StageRecord, message: string): void {
  record.warnings.push(message)
  core.warning(message)
}

function fail(record: StageRecord, error: unknown): void {
  const forbidden = asKubeApiError(error)?.status === 403 ? asKubeApiError(error) : undefined
  const stageError = isStageError(error)
    ? error
    : forbidden
      ? forbiddenError(forbidden, 'go on')
      : new StageError('Internal', (error as Error)?.message ?? String(error), { cause: error })
  record.failure = {
    code: stageError.code,
    message: stageError.message,
    details: stageError.details,
    location: stageError.location,
    evidence: stageError.evidence
  }
  for (const detail of stageError.details) info(`  ${detail}`)
  for (const evidence of record.failure.evidence ?? []) info(`${evidence.title}:\n${evidence.text}`)
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

async function openDeployment(
  config: StageConfig,
  record: StageRecord
): Promise<GitHubDeployment | undefined> {
  const { repository, sha, runId } = config.github
  if (config.deployment === 'off' || !config.githubToken || !repository || !sha || !runId) return undefined
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

async function finishReport(record: StageRecord, deployment: GitHubDeployment | undefined): Promise<void> {
  // Each report is written even when another cannot be: outputs, summary, deployment status.
  try {
    writeOutputs(record)
  } catch (error) {
    process.exitCode = 1
    core.error(`Could not write the step outputs: ${(error as Error).message}`)
  }
  try {
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(renderSummary(record)).write()
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
