/**
 * The release record of a passed stage: what ran, from which commit, with which
 * configuration. Small enough for a job output, and free of secret values:
 * Secrets appear by name only. Pure.
 */
import { canonicalJson, sha256 } from '../canonical.js'
import { normalizeEnvironmentTokens } from '../environments.js'
import type { KubeObject } from '../manifests/types.js'
import { displayName, podSpecsOf } from '../manifests/objects.js'

export const RELEASE_FORMAT = 1

export interface ConfigFingerprint {
  /** ConfigMap name → key → value (long values as a sha256). */
  configMaps: Record<string, Record<string, string>>
  /** "Deployment/shop:shop" → env var → value, or where it comes from. */
  env: Record<string, Record<string, string>>
  /** Names of the Secrets the workloads reference. */
  secrets: string[]
}

export interface ReleaseRecord {
  format: number
  environment: string
  namespace: string
  commit?: string
  result: 'success' | 'failure'
  /** "Deployment/shop:shop" → image, pinned to the digest the cluster ran when it reported one. */
  images: Record<string, string>
  /** sha256 of the rendered manifests without the declared per-environment fields. */
  manifestDigest: string
  /** The same, per object, so a difference can be named. */
  objectDigests: Record<string, string>
  config: ConfigFingerprint
  smoke?: { passed: boolean; checks: number; failed: string[] }
}

const MAX_VALUE_LENGTH = 200

function fingerprintValue(value: string): string {
  return value.length > MAX_VALUE_LENGTH ? `sha256:${sha256(value)}` : value
}

interface Container {
  name: string
  image?: string
  env?: {
    name: string
    value?: string
    valueFrom?: {
      secretKeyRef?: { name: string; key: string }
      configMapKeyRef?: { name: string; key: string }
      fieldRef?: { fieldPath: string }
    }
  }[]
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string }; prefix?: string }[]
}

interface PodSpecLike {
  containers?: Container[]
  initContainers?: Container[]
}

function containersOf(spec: PodSpecLike): Container[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])]
}

function envValue(entry: NonNullable<Container['env']>[number]): string {
  const from = entry.valueFrom
  if (from?.secretKeyRef) return `<Secret ${from.secretKeyRef.name} key ${from.secretKeyRef.key}>`
  if (from?.configMapKeyRef) return `<ConfigMap ${from.configMapKeyRef.name} key ${from.configMapKeyRef.key}>`
  if (from?.fieldRef) return `<field ${from.fieldRef.fieldPath}>`
  return fingerprintValue(entry.value ?? '')
}

export function configFingerprint(objects: KubeObject[]): ConfigFingerprint {
  const configMaps: ConfigFingerprint['configMaps'] = {}
  const env: ConfigFingerprint['env'] = {}
  const secrets = new Set<string>()
  for (const object of objects) {
    if (object.kind === 'ConfigMap') {
      const data = (object.data ?? {}) as Record<string, string>
      configMaps[object.metadata.name] = Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, fingerprintValue(String(v))])
      )
    }
    for (const { spec } of podSpecsOf(object)) {
      for (const container of containersOf(spec as PodSpecLike)) {
        const vars: Record<string, string> = {}
        for (const entry of container.env ?? []) {
          vars[entry.name] = envValue(entry)
          if (entry.valueFrom?.secretKeyRef) secrets.add(entry.valueFrom.secretKeyRef.name)
        }
        for (const source of container.envFrom ?? []) {
          if (source.secretRef) {
            secrets.add(source.secretRef.name)
            vars[`${source.prefix ?? ''}*`] = `<all of Secret ${source.secretRef.name}>`
          }
          if (source.configMapRef)
            vars[`${source.prefix ?? ''}*`] = `<all of ConfigMap ${source.configMapRef.name}>`
        }
        env[`${displayName(object)}:${container.name}`] = vars
      }
      const volumes = (spec as { volumes?: { secret?: { secretName?: string } }[] }).volumes ?? []
      for (const volume of volumes) if (volume.secret?.secretName) secrets.add(volume.secret.secretName)
    }
  }
  return { configMaps, env, secrets: [...secrets].sort() }
}

/** Images as rendered: "Deployment/shop:shop" → reference. */
export function renderedImages(objects: KubeObject[]): Record<string, string> {
  const images: Record<string, string> = {}
  for (const object of objects) {
    for (const { spec } of podSpecsOf(object)) {
      for (const container of containersOf(spec as PodSpecLike)) {
        if (container.image) images[`${displayName(object)}:${container.name}`] = container.image
      }
    }
  }
  return images
}

/** Deletes a dotted path ("spec.replicas", "spec.template.spec.containers.*.resources") from a copy. */
function without(value: unknown, path: string[]): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return value
  const [head, ...rest] = path
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
    ? [...value]
    : { ...(value as Record<string, unknown>) }
  const keys = head === '*' ? Object.keys(copy) : [head]
  for (const key of keys) {
    if (!(key in copy)) continue
    if (rest.length === 0) delete (copy as Record<string, unknown>)[key]
    else (copy as Record<string, unknown>)[key] = without((copy as Record<string, unknown>)[key], rest)
  }
  return copy
}

/**
 * Fields left out of object digests: those that differ per environment by
 * design, and configuration, which the fingerprint compares key by key (a
 * digest would only repeat the same difference, less precisely).
 * User-declared fields are added to these.
 */
export const PER_ENVIRONMENT_FIELDS = [
  'metadata.namespace',
  'metadata.annotations',
  'metadata.labels.environment',
  'status',
  'data',
  'stringData',
  'binaryData',
  ...['spec.template.spec', 'spec.jobTemplate.spec.template.spec'].flatMap(spec =>
    ['containers', 'initContainers'].flatMap(list => [`${spec}.${list}.*.env`, `${spec}.${list}.*.envFrom`])
  )
]

/** Per-object digests; names carrying the stage's own environment name compare equal across stages. */
export function objectDigests(
  objects: KubeObject[],
  perEnvironmentFields: readonly string[],
  environment: string
): Record<string, string> {
  const digests: Record<string, string> = {}
  for (const object of objects) {
    if (object.kind === 'Namespace') continue
    let stripped: unknown = object
    for (const field of [...PER_ENVIRONMENT_FIELDS, ...perEnvironmentFields]) {
      stripped = without(stripped, field.split('.'))
    }
    digests[displayName(object)] = sha256(
      normalizeEnvironmentTokens(canonicalJson(stripped), environment)
    ).slice(0, 16)
  }
  return digests
}

export function manifestDigest(digests: Record<string, string>): string {
  return sha256(canonicalJson(digests))
}

export interface ReleaseInput {
  environment: string
  namespace: string
  commit?: string
  result: 'success' | 'failure'
  /** The rendered objects (after namespace, labels and image overrides). */
  objects: KubeObject[]
  /** "Deployment/shop:shop" → image, pinned to its running digest when known. */
  images: Record<string, string>
  perEnvironmentFields: readonly string[]
  smoke?: ReleaseRecord['smoke']
}

export function buildRelease(input: ReleaseInput): ReleaseRecord {
  const digests = objectDigests(input.objects, input.perEnvironmentFields, input.environment)
  return {
    format: RELEASE_FORMAT,
    environment: input.environment,
    namespace: input.namespace,
    commit: input.commit,
    result: input.result,
    images: input.images,
    manifestDigest: manifestDigest(digests),
    objectDigests: digests,
    config: configFingerprint(input.objects),
    smoke: input.smoke
  }
}

/** A job's outputs share 1 MB; past half of it, the next stage's promote-from is at risk. */
export const RELEASE_WARN_BYTES = 512 * 1024

/** A warning when the release output is large enough to be dropped with the job's other outputs. Pure. */
export function releaseSizeWarning(json: string): string | undefined {
  const bytes = Buffer.byteLength(json)
  if (bytes <= RELEASE_WARN_BYTES) return undefined
  return `The release output is ${Math.round(bytes / 1024)} KiB; GitHub keeps at most 1 MB of outputs per job, so the next stage's promote-from may get nothing. Large ConfigMaps are the usual cause: move bulky data out of the stage's manifests.`
}

/** Friendly names for fields that differ per environment by design. */
const FIELD_ALIASES: Record<string, string[]> = {
  replicas: ['spec.replicas'],
  resources: [
    'spec.template.spec.containers.*.resources',
    'spec.template.spec.initContainers.*.resources',
    'spec.jobTemplate.spec.template.spec.containers.*.resources'
  ],
  hosts: ['spec.rules.*.host', 'spec.tls.*.hosts']
}

/**
 * The parity-expected entries split in two: manifest fields (replicas, or a
 * dotted path) left out of object digests, and parity paths (with a '/', such as
 * ConfigMap/shop-config/LOG_LEVEL) whose differences are expected.
 */
export function splitExpected(entries: readonly string[]): { fields: string[]; paths: string[] } {
  const fields: string[] = []
  const paths: string[] = []
  for (const entry of entries) {
    if (entry.includes('/')) paths.push(entry)
    else fields.push(...(FIELD_ALIASES[entry] ?? [entry]))
  }
  return { fields, paths }
}
