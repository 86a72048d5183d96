/**
 * preflight: everything the cluster can refuse, asked before any write. Every
 * Secret and ConfigMap a pod needs must exist (and none be named for another
 * environment); then a server-side dry run of the whole set, and of every
 * workload's pod against the namespace's admission (PodSecurity, quota,
 * webhooks). The API server's warnings are shown at each object's line, and
 * fail the stage with warnings-as-errors.
 */
import { StageError } from '../errors.js'
import { startEarly } from '../concurrency.js'
import { formatDuration } from '../duration.js'
import { checkPodAdmission } from '../kube/admission.js'
import { applyPlanned, planApply, type ApplyOptions, type PlannedObject } from '../kube/apply.js'
import { existingConfigNames } from '../kube/existing.js'
import { rethrowForbidden } from '../kube/forbidden.js'
import { deleteNamespace, findIsolationPolicy, type IsolationPolicy } from '../kube/namespace.js'
import { checkReferences, findReferences, referenceError } from '../manifests/references.js'
import { displayName, objectKey } from '../manifests/objects.js'
import { foreignSecretSources, producedSecretNames } from '../manifests/producers.js'
import { mustReplace } from '../manifests/pre-deploy.js'
import type { KubeObject } from '../manifests/types.js'
import { info } from '../report/log.js'
import { showApiWarnings, warn, type StageContext } from './context.js'
import { holdStageLease, releaseStageLease } from './lease.js'
import { PROVENANCE, type Planned } from './plan.js'
import { checkSecretReuse } from './secret-reuse.js'
import type { ReleaseRecord } from '../promote/release.js'

export interface Admitted {
  /** Every object with its live state, the dry run's preview and the action it would take. */
  plan: PlannedObject[]
  /** How to apply them, as they were dry-run. */
  options: ApplyOptions
  /** The dry run's API server warnings, as shown. */
  warned: ReadonlySet<string>
  dryRunMs: number
  /**
   * With isolate off, in a namespace that existed: an earlier stage's isolation policy, read
   * alongside the dry run (one round trip less), removed once the objects are applied.
   */
  oldIsolation?: Promise<IsolationPolicy>
  /** The previous stage's release record (promote-from): apply compares the produced Secrets' values with it. */
  upstream?: ReleaseRecord
}

/** A namespace with nothing in it is gone within seconds once the namespace controller sees it. */
const NAMESPACE_CLEANUP_MS = 60_000

export async function preflight(stage: StageContext, planned: Planned): Promise<Admitted> {
  const { config, record } = stage
  // A plan writes nothing, not even a Lease; an apply reads live state only once it holds it.
  // The references are checked meanwhile (one round trip less): when they fail, the stage
  // fails at once rather than after waiting for another run's Lease.
  const stopWaiting = new AbortController()
  // Its failure is thrown below, once the references are known.
  const holding =
    planned.namespaceExists && config.mode === 'apply'
      ? startEarly(holdStageLease(stage, stopWaiting.signal))
      : undefined
  try {
    await checkConfigReferences(stage, planned)
  } catch (error) {
    stopWaiting.abort()
    // Settled before throwing: a Lease taken meanwhile is in stage.lease, which main's finally releases.
    await holding?.catch(() => undefined)
    throw error
  }
  await holding
  const heldBefore = stage.lease?.waitedMs ?? 0
  const options: ApplyOptions = {
    fieldManager: config.fieldManager,
    force: config.forceConflicts,
    concurrency: 64,
    volatileAnnotations: Object.values(PROVENANCE),
    locate: planned.locate,
    mustReplace
  }
  const started = Date.now()
  // Awaited by apply.
  const oldIsolation =
    !config.isolate && planned.namespaceExists && config.mode === 'apply'
      ? startEarly(findIsolationPolicy(stage.client, config.namespace))
      : undefined
  const plan = await dryRunInNamespace(stage, planned, options)
  // Not the time spent waiting for another run's Lease.
  const dryRunMs = Date.now() - started - ((stage.lease?.waitedMs ?? 0) - heldBefore)
  const warned = showApiWarnings(record, plan, planned.locate)
  if (config.warningsAsErrors && warned.size > 0)
    throw new StageError(
      'PreflightWarning',
      `The dry run returned ${warned.size} warning(s) and warnings-as-errors is set; nothing was applied: ${[...warned][0]}`,
      { details: [...warned] }
    )
  return { plan, options, warned, dryRunMs, oldIsolation, upstream: planned.upstream }
}

/** Every Secret and ConfigMap a pod needs must exist, and none may be named for another environment. */
async function checkConfigReferences(stage: StageContext, planned: Planned): Promise<void> {
  const { client, config } = stage
  const { objects } = planned
  // A Secret that a producer in the set will make (ExternalSecret, SealedSecret, Certificate) counts as
  // present: apply waits for it to be made before the workloads (stage/apply.ts).
  const inManifests = new Set([
    ...objects.filter(o => o.kind === 'Secret' || o.kind === 'ConfigMap').map(displayName),
    ...producedSecretNames(objects)
  ])
  const inCluster = planned.namespaceExists
    ? await existingConfigNames(client, config.namespace).catch(
        rethrowForbidden('check that the Secrets and ConfigMaps the pods use exist')
      )
    : new Set<string>()
  const problems = [
    ...checkReferences(objects, findReferences(objects), {
      inManifests,
      inCluster,
      environment: config.environment,
      environmentNames: config.environmentNames
    }),
    ...foreignSecretSources(objects, config.environment, config.environmentNames).map(message => ({
      code: 'CrossEnvironmentReference' as const,
      message
    }))
  ]
  if (problems.length > 0) throw referenceError(problems)
  await checkSecretReuse(stage, objects, planned.namespaceExists, planned.upstream)
}

/**
 * The namespace must exist for namespaced objects to be dry-run. When this
 * stage had to create it and the dry run then fails, it is deleted again so a
 * refused stage leaves the cluster as it found it.
 */
async function dryRunInNamespace(
  stage: StageContext,
  planned: Planned,
  options: ApplyOptions
): Promise<PlannedObject[]> {
  const { client, config } = stage
  if (planned.namespaceExists) return planAndAdmit(stage, planned.objects, options)
  const [namespace, ...rest] = planned.objects
  if (config.mode === 'plan') return planWithoutNamespace(stage, namespace, rest, options)
  // Known to be missing (plan read it): neither read again nor dry-run first, since its own apply
  // is judged the same way and nothing else has been written when that is refused.
  const nsPlan = await planApply(client, [namespace], options, 'missing namespace')
  const [written] = await applyPlanned(client, [nsPlan], options, undefined, true)
  info(`Created namespace ${config.namespace}`)
  try {
    await holdStageLease(stage)
    return [
      { ...nsPlan[0], action: 'created', written: written.object },
      ...(await planAndAdmit(stage, rest, options))
    ]
  } catch (error) {
    await releaseStageLease(stage)
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

/** Plan mode writes nothing, not even the namespace a dry run of its objects would need. */
async function planWithoutNamespace(
  { client, config, record }: StageContext,
  namespace: KubeObject,
  rest: KubeObject[],
  options: ApplyOptions
): Promise<PlannedObject[]> {
  warn(
    record,
    `Namespace ${config.namespace} does not exist yet, and a plan creates nothing: its objects are planned as created without a server-side dry run (the apply dry-runs them).`
  )
  return [
    ...(await planApply(client, [namespace], options)),
    ...(await planApply(client, rest, options, 'missing namespace'))
  ]
}

/**
 * The dry run of every object, then of every workload's pod: the namespace's
 * pod admission (PodSecurity, quota, webhooks) judges the pods before any write.
 * Its warnings join the workload's own.
 */
async function planAndAdmit(
  { client, config }: StageContext,
  objects: KubeObject[],
  options: ApplyOptions
): Promise<PlannedObject[]> {
  const admit = (created: ReadonlySet<string>) =>
    checkPodAdmission(client, config.namespace, objects, created, options.concurrency)
  // Without ServiceAccounts in the set, no pod's account can be one this stage creates: the
  // pods are dry-run alongside the objects (one round trip less). Its failure counts only
  // after the objects' own dry run, as when they ran one after the other.
  const early = objects.some(o => o.kind === 'ServiceAccount') ? undefined : startEarly(admit(new Set()))
  const plan = await planApply(client, objects, options)
  const admission = await (early ??
    admit(
      new Set(
        plan
          .filter(p => p.object.kind === 'ServiceAccount' && p.action === 'created')
          .map(p => p.object.metadata.name)
      )
    ))
  if (admission.skipped) info(`Pod admission: ${admission.skipped}`)
  for (const { workload, message } of admission.warnings) {
    const planned = plan.find(p => objectKey(p.object) === objectKey(workload))
    if (planned) planned.warnings = [...(planned.warnings ?? []), `pod: ${message}`]
  }
  return plan
}
