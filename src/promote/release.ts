/**
 * The release record of a passed stage: what ran, from which commit, with which
 * configuration. Small enough for a job output and for the next job's input
 * (a single environment variable: Linux refuses one over 128 KiB), and free of
 * secret values: Secrets appear by name only, and configuration values as
 * digests unless they are short flag-like words or numbers. Pure.
 * Over 300 lines: building, fitting (60 KiB) and comparing the record must agree on one format, kept in one place.
 */
import { canonicalJson, sha256 } from '../canonical.js'
import { normalizeEnvironmentTokens } from '../environments.js'
import { withGeneratorNames } from '../manifests/generated-names.js'
import type { KubeObject } from '../manifests/types.js'
import { displayName, podSpecsOf } from '../manifests/objects.js'
import { CONFIG_DIGEST_ANNOTATION } from '../manifests/config-digest.js'

export const RELEASE_FORMAT = 1

export interface ConfigFingerprint {
  /** ConfigMap name → key → value (flag-like values readable, others a digest). */
  configMaps: Record<string, Record<string, string>>
  /** "Deployment/shop:shop" → env var → value, or where it comes from. */
  env: Record<string, Record<string, string>>
  /** Names of the Secrets the workloads reference. */
  secrets: string[]
}

export interface FingerprintOptions {
  /** Values are compared with their own environment's name written as {env}. */
  environment: string
  environmentNames?: readonly string[]
  /** Mixed into every digest (the commit): a digest of a short value is not looked up in a table. */
  salt?: string
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
  /** Per object, field path → value (flag-like) or digest: names the field that differs. */
  objectFields?: Record<string, Record<string, string>>
  /**
   * The manifest fields this stage declared per-environment (parity-expected), left out of its
   * digests and fields: the next stage leaves them out on its side too, whichever stage declared them.
   */
  perEnvironmentFields?: string[]
  config: ConfigFingerprint
  smoke?: { passed: boolean; checks: number; failed: string[] }
  /** "Job/migrate" → how long each pre-deploy Job that ran took here: the next stage shows it beside its budget. */
  preDeploy?: Record<string, { durationMs: number }>
  /**
   * With release-key: "Secret/name:key" → keyed digest of each value the stage's pods used
   * (promote/secret-reuse.ts), so the next stage can refuse the same value without seeing it.
   */
  secretDigests?: Record<string, string>
  /** Metric analysis: the last value each metric measured here, for the next stage's upstream bound. */
  analysis?: Record<string, number>
  /** With strategy canary or blue-green: the steps taken here and what each measured. */
  strategy?: ReleaseStrategy
  /** What was left out to keep the record under RELEASE_MAX_BYTES (see fitRelease). */
  omitted?: Omission[]
  /** Set by a stage in plan mode: nothing was deployed, so only another plan may promote from it. */
  planned?: true
  /** With release-key: `hmac-sha256:<hex>` over the rest of the record (promote/signature.ts). */
  signature?: string
}

/** Names that say their value is a credential, whatever it looks like. */
const CREDENTIAL_NAME = /pass|secret|token|key|credential|private|auth|cert|salt|dsn|url|uri|conn/i
/** Values safe to show: numbers, and short words such as true, off, info or eu-west. */
const FLAG_LIKE = /^(?:[+-]?\d{1,12}(?:\.\d{1,6})?|[A-Za-z][A-Za-z_-]{0,11})$/

/**
 * A configuration value as the record keeps it: readable when it is flag-like
 * and not named like a credential (so parity can say `FEATURE_X is on in staging
 * but off here`), otherwise a digest that still tells equal from different. Pure.
 */
export function fingerprintValue(name: string, value: string, options: FingerprintOptions): string {
  const normalized = normalizeEnvironmentTokens(value, options.environment, options.environmentNames)
  if (!CREDENTIAL_NAME.test(name) && FLAG_LIKE.test(normalized.replaceAll('{env}', 'env'))) return normalized
  return `sha256:${sha256(`${options.salt ?? ''}\u0000${normalized}`).slice(0, 16)}`
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

function envValue(entry: NonNullable<Container['env']>[number], options: FingerprintOptions): string {
  const from = entry.valueFrom
  if (from?.secretKeyRef) return `<Secret ${from.secretKeyRef.name} key ${from.secretKeyRef.key}>`
  if (from?.configMapKeyRef) return `<ConfigMap ${from.configMapKeyRef.name} key ${from.configMapKeyRef.key}>`
  if (from?.fieldRef) return `<field ${from.fieldRef.fieldPath}>`
  return fingerprintValue(entry.name, entry.value ?? '', options)
}

export function configFingerprint(objects: KubeObject[], options: FingerprintOptions): ConfigFingerprint {
  const configMaps: ConfigFingerprint['configMaps'] = {}
  const env: ConfigFingerprint['env'] = {}
  const secrets = new Set<string>()
  for (const object of withGeneratorNames(objects)) {
    if (object.kind === 'ConfigMap') {
      const data = (object.data ?? {}) as Record<string, string>
      configMaps[object.metadata.name] = Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, fingerprintValue(k, String(v), options)])
      )
    }
    for (const { spec } of podSpecsOf(object)) {
      for (const container of containersOf(spec as PodSpecLike)) {
        const vars: Record<string, string> = {}
        for (const entry of container.env ?? []) {
          vars[entry.name] = envValue(entry, options)
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

/**
 * An object as stages compare it: without the fields that differ per
 * environment, and without what the stage itself adds. Image digests go: the
 * promotion guard compares images, and pinning a tag to the digest that ran
 * upstream is the stage's own doing; so does the configuration digest (parity
 * compares the configuration itself key by key).
 */
function comparable(object: KubeObject, perEnvironmentFields: readonly string[]): unknown {
  let stripped: unknown = object
  for (const field of [...PER_ENVIRONMENT_FIELDS, ...perEnvironmentFields])
    stripped = without(stripped, field.split('.'))
  return withoutStageStamps(stripped)
}

/** Without image digests and the configuration digest: what the stage itself writes into templates. */
function withoutStageStamps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutStageStamps)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== CONFIG_DIGEST_ANNOTATION)
      .map(([key, inner]) => [
        key,
        key === 'image' && typeof inner === 'string'
          ? inner.replace(/@sha256:[0-9a-f]+$/, '')
          : withoutStageStamps(inner)
      ])
      // Annotations that held only the stage's own stamp compare as none at all.
      .filter(([key, inner]) => !(key === 'annotations' && isEmptyObject(inner)))
  )
}

const isEmptyObject = (value: unknown) =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0

/** Per-object digests; names carrying the stage's own environment name compare equal across stages. */
export function objectDigests(
  objects: KubeObject[],
  perEnvironmentFields: readonly string[],
  environment: string
): Record<string, string> {
  const digests: Record<string, string> = {}
  for (const object of withGeneratorNames(objects)) {
    if (object.kind === 'Namespace') continue
    digests[displayName(object)] = sha256(
      normalizeEnvironmentTokens(canonicalJson(comparable(object, perEnvironmentFields)), environment)
    ).slice(0, 16)
  }
  return digests
}

/** Leaf paths of a value, list indices written as `*` (as parity-expected takes them), with their values. */
function leaves(value: unknown, prefix: string, out: Map<string, unknown[]>): Map<string, unknown[]> {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, [...(out.get(prefix) ?? []), []])
    for (const item of value) leaves(item, `${prefix}.*`, out)
  } else if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    for (const [key, inner] of Object.entries(value)) leaves(inner, prefix ? `${prefix}.${key}` : key, out)
  } else out.set(prefix, [...(out.get(prefix) ?? []), value])
  return out
}

/**
 * Per object, each field path and its value as a record may keep it (readable
 * when flag-like, a digest otherwise): what lets parity name the field that
 * differs, not only the object.
 */
export function objectFields(
  objects: KubeObject[],
  perEnvironmentFields: readonly string[],
  options: FingerprintOptions
): Record<string, Record<string, string>> {
  const fields: Record<string, Record<string, string>> = {}
  for (const object of withGeneratorNames(objects)) {
    if (object.kind === 'Namespace') continue
    const paths = leaves(comparable(object, perEnvironmentFields), '', new Map())
    fields[displayName(object)] = Object.fromEntries(
      [...paths].map(([path, values]) => {
        const text =
          values.length === 1 && typeof values[0] !== 'object' ? String(values[0]) : canonicalJson(values)
        return [path, fingerprintValue(path.split('.').pop() ?? path, text, options)]
      })
    )
  }
  return fields
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
  environmentNames?: readonly string[]
  smoke?: ReleaseRecord['smoke']
  preDeploy?: ReleaseRecord['preDeploy']
  secretDigests?: ReleaseRecord['secretDigests']
  analysis?: ReleaseRecord['analysis']
  strategy?: ReleaseStrategy
}

export interface ReleaseStrategy {
  name: 'canary' | 'blue-green'
  outcome?: 'promoted' | 'stopped' | 'switched back'
  steps: {
    name: string
    /** The new version's share of the pods the Services selected. */
    share: number
    durationMs: number
    passed: boolean
    analysis?: Record<string, number>
  }[]
}

export function buildRelease(input: ReleaseInput): ReleaseRecord {
  const digests = objectDigests(input.objects, input.perEnvironmentFields, input.environment)
  const options = {
    environment: input.environment,
    environmentNames: input.environmentNames,
    salt: input.commit
  }
  return {
    format: RELEASE_FORMAT,
    environment: input.environment,
    namespace: input.namespace,
    commit: input.commit,
    result: input.result,
    images: input.images,
    manifestDigest: manifestDigest(digests),
    objectDigests: digests,
    objectFields: objectFields(input.objects, input.perEnvironmentFields, options),
    ...(input.perEnvironmentFields.length > 0
      ? { perEnvironmentFields: [...input.perEnvironmentFields] }
      : {}),
    config: configFingerprint(input.objects, options),
    smoke: input.smoke,
    preDeploy: input.preDeploy,
    ...(input.secretDigests && Object.keys(input.secretDigests).length > 0
      ? { secretDigests: input.secretDigests }
      : {}),
    ...(input.analysis && Object.keys(input.analysis).length > 0 ? { analysis: input.analysis } : {}),
    ...(input.strategy ? { strategy: input.strategy } : {})
  }
}

/**
 * Passed to the next job as one environment variable (INPUT_PROMOTE-FROM), which Linux refuses
 * over 128 KiB, and as hex (twice the bytes): 60 KiB of JSON is 120 KiB there.
 */
export const RELEASE_MAX_BYTES = 60 * 1024

/** Parts of a record that can be summarised when it is too large, in the order they are given up. */
export type Omission =
  'per-field values' | 'configuration values' | 'environment variables' | 'per-object digests'

/** Every ConfigMap (or container's env) as one digest of all its values: still tells equal from different. */
function summarise(groups: Record<string, Record<string, string>>): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(groups).map(([name, values]) => [
      name,
      { '*': `sha256:${sha256(canonicalJson(values)).slice(0, 16)}` }
    ])
  )
}

/** Applies the same summaries to a fingerprint, so this stage compares with a summarised upstream record. Pure. */
export function summariseLike(
  config: ConfigFingerprint,
  omitted: readonly Omission[] = []
): ConfigFingerprint {
  return {
    ...config,
    configMaps: omitted.includes('configuration values') ? summarise(config.configMaps) : config.configMaps,
    env: omitted.includes('environment variables') ? summarise(config.env) : config.env
  }
}

/**
 * The record, shrunk until its JSON fits RELEASE_MAX_BYTES: per-field values
 * (parity then names the object only), configuration values, then environment variables, are summarised per ConfigMap or container; then
 * per-object digests are left out (the manifest digest stays). `omitted` says
 * what went, so the next stage and the reader know. Pure.
 */
export function fitRelease(record: ReleaseRecord): ReleaseRecord {
  const size = (r: ReleaseRecord) => Buffer.byteLength(JSON.stringify(r))
  let fitted = record
  const steps: Omission[] = [
    'per-field values',
    'configuration values',
    'environment variables',
    'per-object digests'
  ]
  for (const step of steps) {
    if (size(fitted) <= RELEASE_MAX_BYTES) break
    const omitted = [...(fitted.omitted ?? []), step]
    if (step === 'per-field values') fitted = { ...fitted, objectFields: undefined, omitted }
    else if (step === 'per-object digests') fitted = { ...fitted, objectDigests: {}, omitted }
    else fitted = { ...fitted, config: summariseLike(fitted.config, omitted), omitted }
  }
  return fitted
}

/** A warning when the record had to be shrunk, or is still too large to pass on. Pure. */
export function releaseSizeWarning(record: ReleaseRecord, json: string): string | undefined {
  const bytes = Buffer.byteLength(json)
  if (bytes > RELEASE_MAX_BYTES)
    return `The release output is ${Math.round(bytes / 1024)} KiB even with ${record.omitted?.join(', ')} summarised; the next stage's promote-from cannot take more than ${RELEASE_MAX_BYTES / 1024} KiB (one environment variable). Too many objects or containers in one stage: split it.`
  if (record.omitted?.length)
    return `The release output would exceed ${RELEASE_MAX_BYTES / 1024} KiB (the next job receives it as one environment variable): ${record.omitted.join(', ')} are summarised as digests, so parity can only say that they differ, not where. Large ConfigMaps are the usual cause: move bulky data out of the stage's manifests.`
  return undefined
}

/** Friendly names for fields that differ per environment by design. */
const FIELD_ALIASES: Record<string, string[]> = {
  replicas: ['spec.replicas'],
  resources: [
    'spec.template.spec.containers.*.resources',
    'spec.template.spec.initContainers.*.resources',
    'spec.jobTemplate.spec.template.spec.containers.*.resources'
  ],
  hosts: ['spec.rules.*.host', 'spec.tls.*.hosts'],
  tls: ['spec.tls.*.secretName'],
  nodePorts: ['spec.ports.*.nodePort'],
  loadBalancer: ['spec.loadBalancerIP', 'spec.loadBalancerSourceRanges'],
  autoscaling: ['spec.minReplicas', 'spec.maxReplicas']
}

/**
 * The parity-expected entries split in two: manifest fields (replicas, or a
 * dotted path) left out of object digests, and parity paths (with a '/', such as
 * ConfigMap/shop-config/LOG_LEVEL) whose differences are expected.
 */
/** Declared, parity-expected adds to these; they always apply. */
export const DEFAULT_PARITY_EXPECTED = ['replicas', 'resources', 'hosts']

/** Whether a leaf path (`spec.ports.*.nodePort`) is, or is under, a declared field (`*` matches one segment). */
export function underField(path: string, fields: readonly string[]): boolean {
  const segments = path.split('.')
  return fields.some(field => {
    const pattern = field.split('.')
    return pattern.length <= segments.length && pattern.every((p, i) => p === '*' || p === segments[i])
  })
}

export function splitExpected(entries: readonly string[]): { fields: string[]; paths: string[] } {
  const fields: string[] = []
  const paths: string[] = []
  for (const entry of entries) {
    if (entry.includes('/')) paths.push(entry)
    else fields.push(...(FIELD_ALIASES[entry] ?? [entry]))
  }
  return { fields, paths }
}
