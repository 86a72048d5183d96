/**
 * Rolling back a failed stage: every workload whose pod template this stage
 * changed is put back as it was (the previous template, as `kubectl rollout
 * undo` would), so the version that was serving before keeps serving. Workloads this stage created are left
 * alone: nothing served from them before.
 */
import type { KubeObject } from '../manifests/types.js'
import { displayName } from '../manifests/objects.js'
import { producerKind } from '../manifests/producers.js'
import type { KubeClient } from './client.js'
import { settleConcurrent } from '../concurrency.js'
import { serverSideApply, type PlannedObject } from './apply.js'
import { jsonEqual } from './change.js'

const ROLLOUT_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet'])

/** What to restore: workloads that were configured and whose template this stage changed. Pure. */
export function rollbackTargets(plan: readonly PlannedObject[]): PlannedObject[] {
  return plan.filter(p => {
    if (!ROLLOUT_KINDS.has(p.object.kind) || p.action !== 'configured' || !p.live) return false
    const before = (p.live.spec as { template?: unknown } | undefined)?.template
    const after = (p.preview?.spec as { template?: unknown } | undefined)?.template
    return !jsonEqual(before, after)
  })
}

/** Annotations that controllers and kubectl keep; re-applying them would take them over. */
const FOREIGN_ANNOTATIONS = [
  'deployment.kubernetes.io/revision',
  'kubectl.kubernetes.io/last-applied-configuration'
]

/** Did `manager` apply spec.replicas itself? Otherwise an autoscaler or `kubectl scale` owns the count. */
function appliesReplicas(live: KubeObject, manager: string): boolean {
  const entries = (live.metadata.managedFields ?? []) as {
    manager?: string
    fieldsV1?: Record<string, unknown>
  }[]
  return entries.some(
    entry =>
      entry.manager === manager &&
      Boolean((entry.fieldsV1?.['f:spec'] as Record<string, unknown> | undefined)?.['f:replicas'])
  )
}

/**
 * The apply patch that restores the object as it was before this stage: its
 * whole spec, labels and annotations, applied by the stage's own field manager.
 * Server-side apply removes fields a manager stops applying, so a patch of the
 * template alone would drop the selector; and the same values as the live ones
 * conflict with no other manager, so no force is needed. The replica count is
 * left out unless this manager set it: it may have moved since (an autoscaler). Pure.
 */
export function rollbackPatch(live: KubeObject, fieldManager: string): KubeObject {
  const annotations = Object.fromEntries(
    Object.entries(live.metadata.annotations ?? {}).filter(([key]) => !FOREIGN_ANNOTATIONS.includes(key))
  )
  return {
    apiVersion: live.apiVersion,
    kind: live.kind,
    metadata: {
      name: live.metadata.name,
      namespace: live.metadata.namespace,
      labels: live.metadata.labels,
      annotations
    },
    spec: appliesReplicas(live, fieldManager) ? live.spec : withoutReplicas(live.spec)
  }
}

function withoutReplicas(spec: unknown): unknown {
  const rest = { ...(spec as Record<string, unknown>) }
  delete rest.replicas
  return rest
}

export interface RollbackResult {
  /** The workloads as the API server stored them after the rollback, with their discovery data. */
  restored: { object: KubeObject; resource: PlannedObject['resource'] }[]
  failed: string[]
}

/** Rollbacks under way at once: a stage rarely has more workloads than this. */
const ROLLBACK_CONCURRENCY = 8

export async function rollBack(
  client: KubeClient,
  targets: readonly PlannedObject[],
  fieldManager: string
): Promise<RollbackResult> {
  const outcomes = await settleConcurrent(targets, ROLLBACK_CONCURRENCY, target => {
    const live = target.live!
    return serverSideApply(
      client,
      rollbackPatch(live, fieldManager),
      target.resource,
      { fieldManager, force: false },
      false
    )
  })
  const restored: RollbackResult['restored'] = []
  const failed: string[] = []
  outcomes.forEach((outcome, i) => {
    const { live, resource } = targets[i]
    if (outcome.status === 'fulfilled')
      restored.push({
        object: { ...outcome.value.body, apiVersion: live!.apiVersion, kind: live!.kind },
        resource
      })
    else failed.push(`${displayName(live!)}: ${(outcome.reason as Error).message}`)
  })
  return { restored, failed }
}

const CONFIG_KINDS = new Set(['ConfigMap', 'Secret'])

/**
 * ConfigMaps, Secrets and Secret producers (an ExternalSecret's remote key) this stage
 * changed, with their content from before it: a producer given its old spec back makes
 * the old Secret again. Pure.
 */
export function configRollbackTargets(plan: readonly PlannedObject[]): PlannedObject[] {
  return plan.filter(
    p =>
      (CONFIG_KINDS.has(p.object.kind) || producerKind(p.object) !== undefined) &&
      p.action === 'configured' &&
      p.live &&
      p.live.immutable !== true
  )
}

/**
 * The apply patch that gives a ConfigMap or Secret its content from before the
 * stage back. The content comes from the live object read before applying and
 * goes only to the API server: never to the log, the outputs or the record. Pure.
 */
export function previousConfig(live: KubeObject): KubeObject {
  const restored: KubeObject = {
    apiVersion: live.apiVersion,
    kind: live.kind,
    metadata: { name: live.metadata.name, namespace: live.metadata.namespace }
  }
  if (producerKind(live)) return { ...restored, spec: live.spec }
  for (const field of ['data', 'binaryData', 'type'] as const)
    if (live[field] !== undefined) restored[field] = live[field]
  return restored
}

/** Applies each previous content, taking the fields back from whoever holds them now (this stage). */
export async function restoreConfig(
  client: KubeClient,
  targets: PlannedObject[],
  fieldManager: string
): Promise<{ restored: string[]; failed: string[] }> {
  const outcomes = await settleConcurrent(targets, 8, target =>
    serverSideApply(
      client,
      previousConfig(target.live!),
      target.resource,
      { fieldManager, force: true },
      false
    )
  )
  const restored: string[] = []
  const failed: string[] = []
  outcomes.forEach((outcome, i) => {
    const name = displayName(targets[i].object)
    if (outcome.status === 'fulfilled') restored.push(name)
    else failed.push(`${name}: ${(outcome.reason as Error).message}`)
  })
  return { restored, failed }
}
