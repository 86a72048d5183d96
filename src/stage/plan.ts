/**
 * plan: what the stage will apply, decided before anything is written. First
 * what needs no cluster (the manifests, image overrides and smoke checks, all
 * validated), then what the cluster decides (discovery for each kind's scope,
 * the namespaces' environment labels), then images and, with promote-from, the
 * promotion guard and parity with the previous stage.
 */
import type { StageConfig } from '../inputs.js'
import { startEarly } from '../concurrency.js'
import { StageError } from '../errors.js'
import type { KubeClient } from '../kube/client.js'
import { rethrowForbidden } from '../kube/forbidden.js'
import { crdResources } from '../kube/apply.js'
import { labelMembers, parentRef } from '../kube/applyset-rules.js'
import {
  ENVIRONMENT_LABEL,
  guardNamespace,
  isolationPolicy,
  namespaceManifest,
  readNamespace
} from '../kube/namespace.js'
import { stampConfigDigests } from '../manifests/config-digest.js'
import { secretProducers } from '../manifests/producers.js'
import { readSecretData } from '../kube/existing.js'
import {
  applyImageOverrides,
  parseImageOverrides,
  type ImageChange,
  type ImageOverride
} from '../manifests/images.js'
import { loadManifests, parseManifestEntries } from '../manifests/load.js'
import { combineManifests, problemsError } from '../manifests/problems.js'
import { checkDeletePolicies, describeLeftOut, leaveOutHooks, type LeftOutHook } from '../manifests/hooks.js'
import { checkTimeBudgets, isPreDeployJob, preDeployParity, timeBudget } from '../manifests/pre-deploy.js'
import { renderManifests } from '../manifests/render.js'
import { displayName } from '../manifests/objects.js'
import { transformManifests } from '../manifests/transform.js'
import type { KubeObject, LoadedManifest, SourceLocation } from '../manifests/types.js'
import { checkPromotion, missingPromotionError, parseRelease, promotionError } from '../promote/guard.js'
import { compareParity, type ParityDifference } from '../promote/parity.js'
import {
  configFingerprint,
  objectDigests,
  objectFields,
  renderedImages,
  splitExpected,
  summariseLike,
  type ReleaseRecord
} from '../promote/release.js'
import { info } from '../report/log.js'
import { knownSecrets } from '../secrets.js'
import { warn, type StageContext } from './context.js'
import { readStageLease } from './lease.js'
import { loadSmoke, type SmokeChecks } from './verify.js'

/** Annotations on every applied object; they change every run, so they never count as a change. */
export const PROVENANCE = {
  commit: 'kube-stage.dev/commit',
  runUrl: 'kube-stage.dev/run-url',
  workflow: 'kube-stage.dev/workflow',
  actor: 'kube-stage.dev/actor'
}

/** The stage's inputs as read from the workspace: nothing here needed the cluster. */
export interface Sources {
  loaded: LoadedManifest[]
  overrides: ImageOverride[]
  /** Undefined when the stage has no smoke checks. */
  smoke?: SmokeChecks
  /** The helm values: the plan never shows them (they may come from secrets). */
  renderedValues: string[]
  /** Helm hooks a stage has no moment for (delete, rollback, test): not deployed, and said so. */
  leftOutHooks: LeftOutHook[]
}

/** What the release record is built from, once the manifests are rendered. */
export interface Rendered {
  config: StageConfig
  objects: KubeObject[]
}

export interface Planned {
  rendered: Rendered
  /** What to dry-run and apply: the namespace (when the stage writes it), the objects, the isolation policy. */
  objects: KubeObject[]
  /** Whether the namespace existed before this stage. */
  namespaceExists: boolean
  /** The file and line each object came from, for annotations. */
  locate: (object: KubeObject) => SourceLocation | undefined
  /** The previous stage's release record (promote-from), once verified. */
  upstream?: ReleaseRecord
}

interface Images {
  objects: KubeObject[]
  changes: ImageChange[]
  /** The previous stage's release record (promote-from), once verified. */
  upstream?: ReleaseRecord
}

export async function load(config: StageConfig): Promise<Sources> {
  const workspace = config.github.workspace
  const rendered = await renderManifests(
    {
      kustomize: config.kustomize,
      helm: config.helm && { ...config.helm, namespace: config.namespace },
      env: config.renderEnv,
      secrets: knownSecrets()
    },
    workspace
  )
  const { kept: loaded, leftOut } = leaveOutHooks(
    combineManifests(
      config.manifests ? await loadManifests(parseManifestEntries(config.manifests), workspace) : [],
      rendered.manifests
    )
  )
  const badAnnotations = [...checkTimeBudgets(loaded), ...checkDeletePolicies(loaded)]
  if (badAnnotations.length > 0) throw problemsError(badAnnotations)
  info(`Loaded ${loaded.length} object(s) from ${new Set(loaded.map(m => m.source.file)).size} file(s)`)
  const overrides = config.images ? parseImageOverrides(config.images) : []
  return {
    loaded,
    overrides,
    smoke: await loadSmoke(config),
    renderedValues: rendered.values,
    leftOutHooks: leftOut
  }
}

export async function plan(stage: StageContext, sources: Sources): Promise<Planned> {
  const { config, record, client } = stage
  for (const hook of sources.leftOutHooks)
    if (hook.test) info(describeLeftOut(hook))
    else warn(record, describeLeftOut(hook))
  // Only reads: asked at once, and alongside connect's /version and the Lease's first look.
  if (config.mode === 'apply') stage.leaseRead = readStageLease(stage)
  const reads = startEarly(
    Promise.all([
      readNamespace(client, config.namespace).catch(
        rethrowForbidden(`read the environment label of namespace ${config.namespace}`)
      ),
      transform(client, config, sources.loaded)
    ])
  )
  // An unreachable cluster fails these reads too; its own error says what to do.
  await stage.connected
  const [namespaceState, transformed] = await reads
  guardNamespace(config.namespace, config.environment, namespaceState)

  await guardOtherNamespaces(client, config, transformed)
  const overridden = applyImageOverrides(transformed, sources.overrides)
  for (const entry of overridden.unmatched)
    warn(record, `Image override "${entry}" matched no container in the manifests.`)
  if (config.requirePromotionFrom && !config.promoteFrom)
    throw missingPromotionError(config.requirePromotionFrom)
  const images = config.promoteFrom ? promote(stage, overridden) : overridden
  for (const change of images.changes)
    info(`${change.workload} ${change.container}: image ${change.from} → ${change.to}`)
  // A configuration change rolls the pods that consume it, so they run it before they are verified.
  // A Secret a producer makes counts with the data it holds now; apply digests it again once made.
  const produced =
    config.configRollout && namespaceState.exists
      ? await readSecretData(
          client,
          config.namespace,
          secretProducers(images.objects).map(p => p.secret)
        ).catch(rethrowForbidden(`read the Secrets that producers make in ${config.namespace}`))
      : new Map()
  const objects = config.configRollout ? stampConfigDigests(images.objects, produced) : images.objects
  // A namespace the platform team made and labelled for this environment is not written:
  // a deployer with a namespace-scoped Role may not patch it.
  const namespaceReady =
    namespaceState.exists && namespaceState.labels[ENVIRONMENT_LABEL] === config.environment
  const byName = new Map(sources.loaded.map(m => [displayName(m.object), m.source]))
  // With prune, what is applied carries the ApplySet's part-of label; the release record does not
  // (each stage's set has its own id, which parity must not count).
  const applied = config.prune
    ? labelMembers(objects, parentRef(config.environment, config.namespace))
    : objects
  return {
    rendered: { config, objects },
    objects: [
      ...(namespaceReady ? [] : [namespaceManifest(config.namespace, config.environment)]),
      ...applied,
      ...(config.isolate
        ? [isolationPolicy(config.namespace, config.environment, config.isolateAllowCidrs)]
        : [])
    ],
    namespaceExists: namespaceState.exists,
    locate: object => byName.get(displayName(object)),
    upstream: 'upstream' in images ? images.upstream : undefined
  }
}

async function transform(
  client: KubeClient,
  config: StageConfig,
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

/**
 * "Job/migrate took 48s in staging; its budget here is 1m": what a migration
 * took upstream, so production sees it before running it. Information only:
 * production's data or database may well be faster, and the budget decides.
 */
function migrationParity(
  config: StageConfig,
  upstream: ReleaseRecord,
  objects: KubeObject[]
): ParityDifference[] {
  const jobs = objects
    .filter(isPreDeployJob)
    .map(o => ({ job: displayName(o), budgetMs: timeBudget(o, config.preDeployBudgetMs) }))
  return preDeployParity(upstream.preDeploy ?? {}, upstream.environment, jobs).map(d => ({
    path: d.path,
    kind: 'duration',
    expected: true,
    message: d.message
  }))
}

/**
 * Nothing reaches this stage that did not pass the previous one: the same
 * commit, the same images (tag-only ones pinned to the digest that ran there).
 * Then parity: configuration that differs from the previous stage's.
 */
function promote({ config, record }: StageContext, { objects, changes }: Images): Images {
  const upstream = parseRelease(config.promoteFrom!, config.releaseKey)
  if (upstream.signature && !config.releaseKey)
    warn(
      record,
      `promote-from is signed, but this stage has no release-key, so its signature was not verified: anyone who can set promote-from could have written it. Give this stage the release-key the ${upstream.environment} stage signed with.`
    )
  const check = checkPromotion(upstream, {
    commit: config.github.sha,
    images: renderedImages(objects),
    environment: config.environment,
    requiredFrom: config.requirePromotionFrom
  })
  // A plan deployed nothing: another plan may chain from it (parity on a pull request), an apply never.
  if (upstream.planned && config.mode === 'apply')
    check.problems.unshift(
      `the ${upstream.environment} record is from a plan (mode: plan), which deployed nothing: pass the release output of a stage that applied`
    )
  if (check.problems.length > 0) throw promotionError(upstream, check.problems)
  const pinned = applyImageOverrides(objects, check.pins)
  info(
    `Promotion from ${upstream.environment}: commit and images match what passed there${config.releaseKey ? ' (record signature verified)' : ''}`
  )
  if (config.parity !== 'off') {
    const expected = splitExpected(config.parityExpected)
    // Whichever stage declared a field per-environment, neither side compares it.
    const fields = [...new Set([...expected.fields, ...(upstream.perEnvironmentFields ?? [])])]
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
      objectDigests(pinned.objects, fields, config.environment),
      {
        environment: config.environment,
        environmentNames: config.environmentNames,
        expected: expected.paths,
        ignoredFields: fields
      },
      upstream.omitted?.includes('per-field values')
        ? {}
        : objectFields(pinned.objects, fields, {
            environment: config.environment,
            environmentNames: config.environmentNames,
            salt: config.github.sha
          })
    )
    differences.push(...migrationParity(config, upstream, pinned.objects))
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
  return { objects: pinned.objects, changes: [...changes, ...pinned.changes], upstream }
}
