/** Small helpers over manifest objects. Pure. */
import type { KubeObject } from './types.js'

export function apiGroup(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : ''
}

/** Identity of an object: group, kind, namespace and name (not the version: v1beta1 and v1 are one object). */
export function objectKey(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  return `${apiGroup(object.apiVersion)}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`
}

export function displayName(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${object.kind}/${object.metadata.name}`
}

export interface PodSpecAt {
  spec: Record<string, unknown>
  /** Where the spec is, for messages: spec.template.spec */
  path: string
}

const TEMPLATE_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'ReplicationController'
])

/** The pod specs an object defines: a Pod's own, a workload's template, a CronJob's job template. */
export function podSpecsOf(object: KubeObject): PodSpecAt[] {
  const spec = object.spec as Record<string, any> | undefined // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!spec) return []
  if (object.kind === 'Pod') return [{ spec, path: 'spec' }]
  if (TEMPLATE_KINDS.has(object.kind) && spec.template?.spec)
    return [{ spec: spec.template.spec, path: 'spec.template.spec' }]
  if (object.kind === 'CronJob' && spec.jobTemplate?.spec?.template?.spec) {
    return [{ spec: spec.jobTemplate.spec.template.spec, path: 'spec.jobTemplate.spec.template.spec' }]
  }
  return []
}

/**
 * The pod template that holds a pod spec (spec.template, or
 * spec.jobTemplate.spec.template): one level above the spec. The object itself,
 * not a copy, so a caller working on a copy can stamp it.
 */
export function podTemplateOf(
  object: KubeObject,
  at: PodSpecAt
): { metadata?: KubeObject['metadata'] | Record<string, unknown> } {
  return at.path
    .split('.')
    .slice(0, -1)
    .reduce<Record<string, unknown>>((value, key) => value[key] as Record<string, unknown>, object)
}

export interface ContainerAt {
  container: { name: string; image?: string; [key: string]: unknown }
  path: string
}

/** Every container (init, regular, ephemeral) of a pod spec, with its path. */
export function containersOf(at: PodSpecAt): ContainerAt[] {
  const result: ContainerAt[] = []
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = at.spec[field]
    if (Array.isArray(list))
      list.forEach((container, i) => result.push({ container, path: `${at.path}.${field}[${i}]` }))
  }
  return result
}

/** Deep copy of JSON data. */
export function cloneObject<T>(value: T): T {
  return structuredClone(value)
}
