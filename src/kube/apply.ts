/**
 * Server-side apply of a whole manifest set: one discovery pass, one list per
 * kind for the live state, a dry run of every object before any write, then
 * tiers applied in order with bounded concurrency inside each tier.
 * Over 300 lines: discovery, live state, dry run, conflicts and tiered writes are
 * one exchange with the API server over the same PlannedObject; apart, each would export its internals.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { StageError, type ErrorLocation } from '../errors.js'
import { settleConcurrent } from '../concurrency.js'
import { missingKind } from './operators.js'
import type { KubeObject } from '../manifests/types.js'
import { displayName, objectKey } from '../manifests/objects.js'
import type { ApiResource, JsonResponse, KubeClient } from './client.js'
import { asKubeApiError, type KubeApiError } from './errors.js'
import { forbiddenError, isAuthorizationDenial, rethrowForbidden } from './forbidden.js'
import {
  APPLIED_HASH_ANNOTATION,
  appliedHash,
  classifyChange,
  unchangedSinceApplied,
  type ApplyAction
} from './change.js'
import { collectionPath, objectPath, withQuery } from './paths.js'
import { dryRunUnsupportedMessage, dryRunUnsupportedWebhook } from './webhooks.js'

export interface ApplyOptions {
  fieldManager: string
  force: boolean
  concurrency: number
  /** Annotations that change every run and must not make an object "configured". */
  volatileAnnotations: readonly string[]
  /** Where each object came from, for error annotations. */
  locate?: (object: KubeObject) => ErrorLocation | undefined
  /**
   * Objects that cannot be updated in place (a Job's template): when this says so for a live
   * object, it is dry-run as a new one and, when applied, deleted and created again.
   */
  mustReplace?: (desired: KubeObject, live: KubeObject, unchanged: boolean) => boolean
}

export interface PlannedObject {
  object: KubeObject
  resource: ApiResource
  live?: KubeObject
  /** The object as the server would store it; absent when it could not be dry-run yet (CRD in the same set). */
  preview?: KubeObject
  action: ApplyAction
  /** Already written during preflight (the stage's own new namespace): not sent again. */
  written?: KubeObject
  /** What the API server warned about in the dry run. */
  warnings?: string[]
  /** The live object is deleted and this one created in its place (see ApplyOptions.mustReplace). */
  replace?: boolean
}

export interface AppliedObject {
  object: KubeObject
  action: ApplyAction
  /** What the API server warned about when it was applied. */
  warnings?: string[]
}

const APPLY_CONTENT_TYPE = 'application/apply-patch+yaml'

function withAnnotation(object: KubeObject, key: string, value: string): KubeObject {
  return {
    ...object,
    metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [key]: value } }
  }
}

/** Discovery for every kind in the set; kinds defined by a CRD in the same set are resolved from it. */
export async function resolveResources(
  client: KubeClient,
  objects: KubeObject[]
): Promise<Map<string, ApiResource>> {
  const pending = new Map<string, KubeObject>()
  for (const object of objects) pending.set(`${object.apiVersion}|${object.kind}`, object)
  const declared = crdResources(objects)
  const resolved = new Map<string, ApiResource>()
  const unknown: string[] = []
  await Promise.all(
    [...pending.entries()].map(async ([typeKey, object]) => {
      const resource = (await client.resourceFor(object.apiVersion, object.kind)) ?? declared.get(typeKey)
      if (resource) resolved.set(typeKey, resource)
      else unknown.push(typeKey)
    })
  )
  if (unknown.length > 0) {
    const details = objects
      .filter(o => unknown.includes(`${o.apiVersion}|${o.kind}`))
      .map(o => `${displayName(o)}: ${missingKind(o.apiVersion, o.kind)}`)
    throw new StageError(
      'PreflightFailed',
      `${details.length} object(s) have a kind the cluster does not know; nothing was applied.`,
      {
        details
      }
    )
  }
  return resolved
}

/** Resources that CRDs in this very set will define, so their custom resources can be planned. Pure. */
export function crdResources(objects: KubeObject[]): Map<string, ApiResource> {
  const result = new Map<string, ApiResource>()
  for (const crd of objects) {
    if (crd.kind !== 'CustomResourceDefinition') continue
    const spec = crd.spec as {
      group: string
      scope: string
      names: { kind: string; plural: string }
      versions?: { name: string }[]
    }
    for (const version of spec.versions ?? []) {
      result.set(`${spec.group}/${version.name}|${spec.names.kind}`, {
        name: spec.names.plural,
        kind: spec.names.kind,
        namespaced: spec.scope === 'Namespaced',
        verbs: [],
        pendingCrd: true
      } as ApiResource)
    }
  }
  return result
}

function isPendingCrd(resource: ApiResource): boolean {
  return (resource as ApiResource & { pendingCrd?: boolean }).pendingCrd === true
}

function typeKeyOf(object: KubeObject): string {
  return `${object.apiVersion}|${object.kind}`
}

function pathOf(object: KubeObject, resource: ApiResource): string {
  return objectPath(
    object.apiVersion,
    resource,
    resource.namespaced ? object.metadata.namespace : undefined,
    object.metadata.name
  )
}

/** One LIST per (kind, namespace) instead of one GET per object. */
async function fetchLive(
  client: KubeClient,
  objects: KubeObject[],
  resources: Map<string, ApiResource>
): Promise<Map<string, KubeObject>> {
  const groups = new Map<string, { apiVersion: string; resource: ApiResource; namespace?: string }>()
  for (const object of objects) {
    const resource = resources.get(typeKeyOf(object))!
    if (isPendingCrd(resource) || !resource.namespaced) continue
    const namespace = object.metadata.namespace
    groups.set(`${object.apiVersion}|${resource.name}|${namespace ?? ''}`, {
      apiVersion: object.apiVersion,
      resource,
      namespace
    })
  }
  const live = new Map<string, KubeObject>()
  // Cluster-scoped objects are read one by one: listing them all needs a ClusterRole,
  // and a namespace-scoped deployer may still get its own Namespace. Both kinds of read
  // go at once: one round trip.
  const clusterScoped = objects.filter(o => {
    const resource = resources.get(typeKeyOf(o))!
    return !resource.namespaced && !isPendingCrd(resource)
  })
  const reads = clusterScoped.map(async object => {
    const resource = resources.get(typeKeyOf(object))!
    try {
      const item = await client.getJson<KubeObject>(pathOf(object, resource))
      live.set(objectKey(object), { ...item, apiVersion: object.apiVersion, kind: resource.kind })
    } catch (error) {
      if (asKubeApiError(error)?.status !== 404) throw error
    }
  })
  const lists = [...groups.values()].map(async ({ apiVersion, resource, namespace }) => {
    const list = await client.getJson<{ items: KubeObject[] }>(
      collectionPath(apiVersion, resource, namespace)
    )
    for (const item of list.items ?? []) {
      live.set(objectKey({ ...item, apiVersion, kind: resource.kind }), {
        ...item,
        apiVersion,
        kind: resource.kind
      })
    }
  })
  await Promise.all([...reads, ...lists])
  return live
}

/** Who applies, and whether it takes fields over from other managers. */
type ApplyAs = Pick<ApplyOptions, 'fieldManager' | 'force'>

function applyPath(object: KubeObject, resource: ApiResource, options: ApplyAs, dryRun: boolean): string {
  return withQuery(pathOf(object, resource), {
    fieldManager: options.fieldManager,
    force: options.force ? true : undefined,
    dryRun: dryRun ? 'All' : undefined
  })
}

export async function serverSideApply(
  client: KubeClient,
  object: KubeObject,
  resource: ApiResource,
  options: ApplyAs,
  dryRun: boolean
): Promise<JsonResponse<KubeObject>> {
  return client.send<KubeObject>(
    'PATCH',
    applyPath(object, resource, options, dryRun),
    object,
    APPLY_CONTENT_TYPE
  )
}

/** Parses `conflict with "manager" using apps/v1: .spec.replicas` into its parts. */
function describeConflicts(error: KubeApiError): string[] {
  return error.causes
    .filter(c => c.reason === 'FieldManagerConflict')
    .map(c => {
      const match = /conflict with "([^"]+)"(?: using [^:]+)?(?:: (.*))?/.exec(c.message ?? '')
      const field = c.field ?? match?.[2] ?? '?'
      return match ? `${field} is owned by field manager "${match[1]}"` : (c.message ?? field)
    })
}

/** What went wrong with one object, as the server said it. */
function describeRejection(object: KubeObject, error: unknown): { conflict: boolean; line: string } {
  const api = asKubeApiError(error)
  const name = displayName(object)
  if (!api) return { conflict: false, line: `${name}: ${(error as Error).message}` }
  if (api.status === 409 && api.causes.some(c => c.reason === 'FieldManagerConflict')) {
    return { conflict: true, line: `${name}: ${describeConflicts(api).join('; ')}` }
  }
  const causes = api.causes
    .filter(c => c.message && !api.message.includes(c.message))
    .map(c => (c.field ? `${c.field}: ${c.message}` : c.message))
  return { conflict: false, line: `${name}: ${api.message}${causes.length ? ` (${causes.join('; ')})` : ''}` }
}

function rejectionError(
  failures: { object: KubeObject; error: unknown }[],
  total: number,
  options: ApplyOptions,
  phase: 'dry run' | 'apply',
  appliedBefore = false
): StageError {
  // A 403 is the authorizer's (RBAC) only when it names who cannot do what: admission webhooks
  // (Kyverno, Gatekeeper) and quota refuse with 403 too, and those are the objects' own verdicts.
  const denied = failures
    .map(f => asKubeApiError(f.error))
    .find(api => api?.status === 403 && isAuthorizationDenial(api))
  if (denied)
    return forbiddenError(denied, phase === 'dry run' ? 'dry-run the manifests' : 'apply the manifests')
  const described = failures.map(f => describeRejection(f.object, f.error))
  const conflict = described.some(d => d.conflict)
  const location = failures.map(f => options.locate?.(f.object)).find(l => l !== undefined)
  const what = appliedBefore ? 'objects in earlier tiers were applied' : 'nothing was applied'
  const noDryRun = failures.flatMap(f => {
    const webhook =
      phase === 'dry run' ? dryRunUnsupportedWebhook(asKubeApiError(f.error)?.message ?? '') : undefined
    return webhook ? [{ object: displayName(f.object), webhook }] : []
  })
  const message =
    noDryRun.length > 0
      ? dryRunUnsupportedMessage(noDryRun)
      : conflict
        ? `Server-side ${phase} found fields owned by another field manager in ${failures.length} of ${total} object(s); ${what}. ` +
          'Another tool changed them since this stage last applied: remove them from the manifests, stop the other tool, or set force-conflicts: true to take them over.'
        : `The API server rejected ${failures.length} of ${total} object(s) in the server-side ${phase}; ${what}.`
  return new StageError(
    conflict ? 'ApplyConflict' : phase === 'dry run' ? 'PreflightFailed' : 'ApplyFailed',
    message,
    {
      location,
      details: described.map(d => d.line)
    }
  )
}

/**
 * Preflight: every object goes through a server-side dry run (schema,
 * admission, quota, field ownership) before anything is written, except those
 * this stage applied before exactly as they are now, untouched since (nothing
 * would be written for them). Returns what applying each object would do.
 * `into: 'missing namespace'` (plan mode, which creates nothing): the server cannot
 * dry-run objects in a namespace that does not exist, so each is only resolved
 * (its kind must be known) and would be created.
 */
export async function planApply(
  client: KubeClient,
  objects: KubeObject[],
  options: ApplyOptions,
  into: 'existing namespace' | 'missing namespace' = 'existing namespace'
): Promise<PlannedObject[]> {
  const resources = await resolveResources(client, objects)
  const live =
    into === 'missing namespace'
      ? new Map<string, KubeObject>()
      : await fetchLive(client, objects, resources).catch(
          rethrowForbidden('read the objects it is about to apply as they are now')
        )
  const outcomes = await settleConcurrent(objects, options.concurrency, async desired => {
    const resource = resources.get(typeKeyOf(desired))!
    const current = live.get(objectKey(desired))
    const hash = appliedHash(desired, options.volatileAnnotations)
    const object = withAnnotation(desired, APPLIED_HASH_ANNOTATION, hash)
    if (isPendingCrd(resource) || into === 'missing namespace')
      return { object, resource, action: 'created' as ApplyAction }
    const unchanged = unchangedSinceApplied(hash, current, options.fieldManager)
    if (current && options.mustReplace?.(object, current, unchanged)) {
      const dryRun = await dryRunCreate(client, object, resource, options)
      const preview = { ...dryRun.body, metadata: { ...dryRun.body.metadata, name: object.metadata.name } }
      return {
        object,
        resource,
        live: current,
        preview,
        action: 'replaced' as ApplyAction,
        warnings: dryRun.warnings,
        replace: true
      }
    }
    if (unchanged) {
      return { object, resource, live: current, preview: current, action: 'unchanged' as ApplyAction }
    }
    const dryRun = await serverSideApply(client, object, resource, options, true)
    const preview = dryRun.body
    const action = classifyChange(preview, current, options.fieldManager, options.volatileAnnotations)
    return { object, resource, live: current, preview, action, warnings: dryRun.warnings }
  })
  const failures = outcomes.flatMap((o, i) =>
    o.status === 'rejected' ? [{ object: objects[i], error: o.reason }] : []
  )
  if (failures.length > 0) throw rejectionError(failures, objects.length, options, 'dry run')
  return outcomes.map(o => (o as PromiseFulfilledResult<PlannedObject>).value)
}

/**
 * Applies tiers in order; unchanged objects are not sent again. CRDs are waited on until Established.
 * `firstWrites`: the stage wrote nothing before this call, so a refusal before any write here
 * says that nothing was applied.
 */
export async function applyPlanned(
  client: KubeClient,
  tiers: PlannedObject[][],
  options: ApplyOptions,
  onApplied: (applied: AppliedObject) => void = () => {},
  firstWrites = false
): Promise<AppliedObject[]> {
  const results: AppliedObject[] = []
  const total = tiers.reduce((n, t) => n + t.length, 0)
  for (const tier of tiers) {
    const outcomes = await settleConcurrent(tier, options.concurrency, async planned => {
      if (planned.action === 'unchanged')
        return { object: planned.live ?? planned.object, action: planned.action }
      if (planned.written) return { object: planned.written, action: planned.action }
      if (planned.replace) await deleteAndWaitGone(client, planned)
      const response = await serverSideApply(client, planned.object, planned.resource, options, false)
      return { object: response.body, action: planned.action, warnings: response.warnings }
    })
    const failures = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [{ object: tier[i].object, error: o.reason }] : []
    )
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') {
        results.push(outcome.value)
        onApplied(outcome.value)
      }
    }
    if (failures.length > 0)
      throw rejectionError(
        failures,
        total,
        options,
        'apply',
        !firstWrites || results.some(r => r.action !== 'unchanged')
      )
    const crds = tier.filter(p => p.object.kind === 'CustomResourceDefinition')
    if (crds.length > 0)
      await waitForCrdsEstablished(
        client,
        crds.map(p => p.object.metadata.name)
      )
  }
  return results
}

/**
 * The dry run of an object that will replace a live one of the same name: created
 * under a generated name, since its own is taken, so admission and schema judge it.
 */
async function dryRunCreate(
  client: KubeClient,
  object: KubeObject,
  resource: ApiResource,
  options: ApplyAs
): Promise<JsonResponse<KubeObject>> {
  const { name, ...metadata } = object.metadata
  const path = withQuery(collectionPath(object.apiVersion, resource, object.metadata.namespace), {
    fieldManager: options.fieldManager,
    dryRun: 'All'
  })
  return client.send<KubeObject>('POST', path, {
    ...object,
    metadata: { ...metadata, generateName: `${name}-` }
  })
}

/** Deletes the live object (this very one: its uid is a precondition) and waits until its name is free. */
async function deleteAndWaitGone(
  client: KubeClient,
  planned: PlannedObject,
  timeoutMs = 120_000
): Promise<void> {
  const path = pathOf(planned.object, planned.resource)
  const uid = planned.live?.metadata.uid
  try {
    await client.send('DELETE', path, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Background',
      ...(uid ? { preconditions: { uid } } : {})
    })
  } catch (error) {
    // Already gone (404), or already replaced by someone else (409: the uid precondition).
    if (![404, 409].includes(asKubeApiError(error)?.status ?? 0)) throw error
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const current = await client.getJson<KubeObject>(path)
      if (current.metadata.uid !== uid) return
    } catch (error) {
      if (asKubeApiError(error)?.status === 404) return
      throw error
    }
    if (Date.now() > deadline)
      throw new StageError(
        'ApplyFailed',
        `${displayName(planned.object)} was deleted to be created again (it cannot be updated in place) but was still there after ${timeoutMs / 1000}s: check its finalizers.`
      )
    await sleep(200)
  }
}

/** A CRD's kinds are servable only once Established; later tiers may hold its custom resources. */
async function waitForCrdsEstablished(
  client: KubeClient,
  names: string[],
  timeoutMs = 60_000
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (const name of names) {
    for (;;) {
      const crd = await client.getJson<{ status?: { conditions?: { type: string; status: string }[] } }>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(name)}`
      )
      if (crd.status?.conditions?.some(c => c.type === 'Established' && c.status === 'True')) break
      if (Date.now() > deadline) {
        throw new StageError(
          'ApplyFailed',
          `CustomResourceDefinition ${name} was not Established within ${timeoutMs / 1000}s.`
        )
      }
      await sleep(100)
    }
  }
}
