/**
 * Canary and blue-green, as data: which Deployments a strategy applies to, the
 * steps and their pod counts, and the objects each step writes (the canary
 * copy, the preview copy and its Service, the switched selectors). Pure; the
 * writes and waits are in strategy/canary.ts and strategy/blue-green.ts.
 *
 * No mesh: a Service spreads connections over the ready pods it selects, so a
 * canary's share of traffic is its share of those pods, approximately.
 */
import type { KubeObject } from '../manifests/types.js'

export type StrategyName = 'rolling' | 'canary' | 'blue-green'

/** On a canary's pods (and in its selector): the Services that select the Deployment select it too. */
export const TRACK_LABEL = 'kube-stage.dev/track'
/** On a preview's pods, in place of the labels the Services select by: no Service of the stable version selects it. */
export const PREVIEW_LABEL = 'kube-stage.dev/preview'
/** On a switched Service: the selector it had before, as JSON, so a later stage can put it back. */
export const SWITCHED_FROM_ANNOTATION = 'kube-stage.dev/switched-from'
/** On the canary and preview copies: the Deployment they stand in for. */
export const COPY_OF_ANNOTATION = 'kube-stage.dev/copy-of'

export const canaryName = (deployment: string) => `${deployment}-canary`
export const previewName = (deployment: string) => `${deployment}-preview`

/** canary-steps: "10%, 50%" → [10, 50]; each a whole percentage from 1 to 99, rising. */
export function parseCanarySteps(text: string): number[] | string {
  const parts = text
    .split(/[,\s]+/)
    .map(p => p.trim())
    .filter(Boolean)
  if (parts.length === 0) return 'it names no step'
  const steps: number[] = []
  for (const part of parts) {
    const match = /^(\d{1,2})%?$/.exec(part)
    const weight = match ? Number(match[1]) : NaN
    if (!(weight >= 1 && weight <= 99)) return `"${part}" is not a share from 1% to 99%`
    if (steps.length > 0 && weight <= steps[steps.length - 1])
      return `the steps must rise (${steps[steps.length - 1]}% then ${weight}%)`
    steps.push(weight)
  }
  return steps
}

/**
 * The canary's pods for a step: as many as make `weight`% of the pods behind the Service while
 * the stable version keeps all of its own, rounded down (never more than the step's share),
 * and at least one.
 */
export function canaryReplicas(stableReplicas: number, weight: number): number {
  return Math.max(1, Math.floor((stableReplicas * weight) / (100 - weight) + 1e-9))
}

/**
 * The live Deployment's replica count, which the copies are sized by: the stable version's
 * pods as they are (an autoscaler may own the count), 1 when the field is unset, as the API defaults it.
 */
export const liveReplicas = (live: KubeObject | undefined): number =>
  (live?.spec as { replicas?: number } | undefined)?.replicas ?? 1

export const sum = (counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0)

/** A share as the log and the summary say it: 0.0909 → "9.1%". */
export const formatShare = (share: number) => `${Math.round(share * 1000) / 10}%`

/** The share of pods (so, roughly, of requests) the canary has beside the stable version. */
export function podShare(canary: number, stable: number): number {
  return canary + stable === 0 ? 0 : canary / (canary + stable)
}

type Labels = Record<string, string>
interface DeploymentSpec {
  replicas?: number
  selector?: { matchLabels?: Labels; matchExpressions?: unknown[] }
  template?: { metadata?: { labels?: Labels; annotations?: Labels }; spec?: unknown }
  [key: string]: unknown
}
const specOf = (object: KubeObject) => (object.spec ?? {}) as DeploymentSpec

/** The copy's metadata: the Deployment's labels, and an annotation naming what it stands in for. */
function copyMetadata(deployment: KubeObject, name: string): KubeObject['metadata'] {
  return {
    name,
    namespace: deployment.metadata.namespace,
    labels: { ...(deployment.metadata.labels ?? {}) },
    annotations: { [COPY_OF_ANNOTATION]: deployment.metadata.name }
  }
}

/**
 * The canary copy of `deployment` (as it is to be applied): the new pod template with
 * every label it had, so the Services that select the stable pods select these too, plus
 * the track label in its template and selector, so the stable Deployment's selector, which
 * the canary's pods also match, never counts them (they are owned by the canary's ReplicaSet).
 */
export function canaryDeployment(deployment: KubeObject, replicas: number): KubeObject {
  const spec = specOf(deployment)
  const track = { [TRACK_LABEL]: 'canary' }
  return {
    apiVersion: deployment.apiVersion,
    kind: deployment.kind,
    metadata: copyMetadata(deployment, canaryName(deployment.metadata.name)),
    spec: {
      ...spec,
      replicas,
      selector: { ...spec.selector, matchLabels: { ...(spec.selector?.matchLabels ?? {}), ...track } },
      template: {
        ...spec.template,
        metadata: {
          ...spec.template?.metadata,
          labels: { ...(spec.template?.metadata?.labels ?? {}), ...track }
        }
      }
    }
  }
}

/** Does a Service's selector pick pods with these labels? An empty selector picks none (it has its own Endpoints). */
export function selects(selector: Labels | undefined, labels: Labels): boolean {
  const entries = Object.entries(selector ?? {})
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value)
}

/** The Services (live, in the namespace) that send traffic to the Deployment's pods. */
export function servicesOf(deployment: KubeObject, services: readonly KubeObject[]): KubeObject[] {
  const labels = specOf(deployment).template?.metadata?.labels ?? {}
  return services.filter(s => selects(serviceSelector(s), labels))
}

/**
 * What blue-green can switch for a live Deployment: the Services that select its pods, or why
 * it cannot (it is then updated in place). A Service that also selects another workload's pods
 * cannot be switched: its selector would then leave that workload out.
 */
export function switchableServices(
  deployment: KubeObject,
  services: readonly KubeObject[],
  workloads: readonly KubeObject[]
): { services: KubeObject[] } | { reason: string } {
  const serving = servicesOf(deployment, services)
  if (serving.length === 0) return { reason: 'no Service selects its pods, so there is nothing to switch' }
  for (const service of serving) {
    const other = workloads.find(
      w =>
        !(w.kind === deployment.kind && w.metadata.name === deployment.metadata.name) &&
        // A copy left by an interrupted stage is not another workload: this stage replaces it.
        !w.metadata.annotations?.[COPY_OF_ANNOTATION] &&
        selects(serviceSelector(service), specOf(w).template?.metadata?.labels ?? {})
    )
    if (other)
      return {
        reason: `Service/${service.metadata.name} also selects the pods of ${other.kind}/${other.metadata.name}, which a switch would cut off`
      }
  }
  return { services: serving }
}

export const serviceSelector = (service: KubeObject) =>
  (service.spec as { selector?: Labels } | undefined)?.selector

/**
 * The preview copy of `deployment`: the new pod template without the labels any of its
 * Services select by (so none of them sends it traffic before the switch), with the
 * preview label, its only selector. Its replicas are the stable version's: after the
 * switch it carries all the traffic.
 */
export function previewDeployment(
  deployment: KubeObject,
  services: readonly KubeObject[],
  replicas: number
): KubeObject {
  const spec = specOf(deployment)
  const selected = new Set(services.flatMap(s => Object.keys(serviceSelector(s) ?? {})))
  const labels = Object.fromEntries(
    Object.entries(spec.template?.metadata?.labels ?? {}).filter(([key]) => !selected.has(key))
  )
  const preview = { [PREVIEW_LABEL]: deployment.metadata.name }
  return {
    apiVersion: deployment.apiVersion,
    kind: deployment.kind,
    metadata: copyMetadata(deployment, previewName(deployment.metadata.name)),
    spec: {
      ...spec,
      replicas,
      selector: { matchLabels: preview },
      template: {
        ...spec.template,
        metadata: { ...spec.template?.metadata, labels: { ...labels, ...preview } }
      }
    }
  }
}

interface ServicePort {
  name?: string
  port: number
  targetPort?: number | string
  protocol?: string
  appProtocol?: string
}

/**
 * The preview Service: a ClusterIP Service with the ports of the Deployment's first
 * Service, selecting the preview's pods. `<deployment>-preview.<namespace>` reaches
 * the new version before the switch; an Ingress for a preview host can point at it.
 */
export function previewService(deployment: KubeObject, service: KubeObject): KubeObject {
  const ports = ((service.spec as { ports?: ServicePort[] }).ports ?? []).map(p => ({
    ...(p.name ? { name: p.name } : {}),
    port: p.port,
    ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
    ...(p.protocol ? { protocol: p.protocol } : {}),
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {})
  }))
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: copyMetadata(deployment, previewName(deployment.metadata.name)),
    spec: { type: 'ClusterIP', selector: { [PREVIEW_LABEL]: deployment.metadata.name }, ports }
  }
}

/**
 * The merge patch that makes a Service select exactly `to` instead of `from` (keys `to` lacks are
 * set to null: a merge patch removes them). Switching away from its own selector, the Service
 * keeps that selector in an annotation, so a stage that stopped before switching back (a
 * cancelled runner) leaves what the next one needs to repair it; switching back removes it.
 */
export function selectorPatch(
  from: Labels,
  to: Labels,
  remember: boolean
): {
  metadata: { annotations: Record<string, string | null> }
  spec: { selector: Record<string, string | null> }
} {
  const removed = Object.keys(from).filter(key => !Object.hasOwn(to, key))
  return {
    metadata: { annotations: { [SWITCHED_FROM_ANNOTATION]: remember ? JSON.stringify(from) : null } },
    spec: { selector: { ...Object.fromEntries(removed.map(key => [key, null])), ...to } }
  }
}

/**
 * A Service a stage switched and never switched back: the selector it had, from its
 * annotation; undefined when it is not one (or the annotation is not a selector).
 */
export function switchedFrom(service: KubeObject): Labels | undefined {
  const text = service.metadata.annotations?.[SWITCHED_FROM_ANNOTATION]
  if (!text) return undefined
  try {
    const value = JSON.parse(text) as unknown
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined
    const entries = Object.entries(value as Record<string, unknown>)
    if (entries.length === 0 || !entries.every(([, v]) => typeof v === 'string')) return undefined
    return value as Labels
  } catch {
    return undefined
  }
}

/** The preview's selector, which a switched Service selects by. */
export const previewSelector = (deployment: string): Labels => ({ [PREVIEW_LABEL]: deployment })
