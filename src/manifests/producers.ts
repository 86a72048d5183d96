/**
 * Objects whose controllers make a Secret: an ExternalSecret (External Secrets
 * Operator), a SealedSecret (sealed-secrets) and a cert-manager Certificate.
 * Which Secret each makes, and where an ExternalSecret reads its value from,
 * so that a production stage can refuse one that reads another environment's
 * key (`remoteRef.key: dev/db`, a store named `vault-staging`) before anything
 * is written. Pure.
 */
import { foreignEnvironmentIn } from '../environments.js'
import { apiGroup, displayName } from './objects.js'
import type { KubeObject } from './types.js'

export type ProducerKind = 'ExternalSecret' | 'SealedSecret' | 'Certificate'

/** API group of each producer kind: a kind of the same name from another group makes nothing. */
const PRODUCER_GROUPS: Record<ProducerKind, string> = {
  ExternalSecret: 'external-secrets.io',
  SealedSecret: 'bitnami.com',
  Certificate: 'cert-manager.io'
}

export interface SecretProducer {
  producer: KubeObject
  kind: ProducerKind
  /** The Secret its controller makes, in the producer's namespace. */
  secret: string
}

type Any = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

export function producerKind(object: Pick<KubeObject, 'apiVersion' | 'kind'>): ProducerKind | undefined {
  const kind = object.kind as ProducerKind
  return PRODUCER_GROUPS[kind] === apiGroup(object.apiVersion) ? kind : undefined
}

/**
 * The Secret an object's controller makes, if it makes one. An ExternalSecret
 * whose creationPolicy is Merge or None writes into a Secret someone else
 * must make, so it makes nothing that counts as present.
 */
export function producedSecretOf(object: KubeObject): SecretProducer | undefined {
  const kind = producerKind(object)
  const spec = (object.spec ?? {}) as Any
  switch (kind) {
    case 'ExternalSecret': {
      const policy = spec.target?.creationPolicy ?? 'Owner'
      if (policy !== 'Owner' && policy !== 'Orphan') return undefined
      return { producer: object, kind, secret: spec.target?.name || object.metadata.name }
    }
    case 'SealedSecret':
      return { producer: object, kind, secret: object.metadata.name }
    case 'Certificate':
      return typeof spec.secretName === 'string' && spec.secretName
        ? { producer: object, kind, secret: spec.secretName }
        : undefined
    default:
      return undefined
  }
}

export function secretProducers(objects: readonly KubeObject[]): SecretProducer[] {
  return objects.flatMap(o => producedSecretOf(o) ?? [])
}

/** "Secret/<name>" of every Secret the set's producers make, as the references check keys them. */
export function producedSecretNames(objects: readonly KubeObject[]): Set<string> {
  return new Set(secretProducers(objects).map(p => `Secret/${p.secret}`))
}

/** Where an ExternalSecret reads from: its store and every remote key or path it names, with their fields. */
export function externalSecretSources(object: KubeObject): { field: string; value: string }[] {
  const spec = (object.spec ?? {}) as Any
  const sources: { field: string; value: string }[] = []
  const add = (field: string, value: unknown) => {
    if (typeof value === 'string' && value) sources.push({ field, value })
  }
  add('spec.secretStoreRef.name', spec.secretStoreRef?.name)
  ;(Array.isArray(spec.data) ? spec.data : []).forEach((d: Any, i: number) => {
    add(`spec.data[${i}].remoteRef.key`, d?.remoteRef?.key)
    add(`spec.data[${i}].sourceRef.storeRef.name`, d?.sourceRef?.storeRef?.name)
  })
  ;(Array.isArray(spec.dataFrom) ? spec.dataFrom : []).forEach((d: Any, i: number) => {
    add(`spec.dataFrom[${i}].extract.key`, d?.extract?.key)
    add(`spec.dataFrom[${i}].find.path`, d?.find?.path)
    add(`spec.dataFrom[${i}].find.name.regexp`, d?.find?.name?.regexp)
    add(`spec.dataFrom[${i}].sourceRef.storeRef.name`, d?.sourceRef?.storeRef?.name)
  })
  return sources
}

/**
 * ExternalSecrets that read another environment's secret: a remote key such as
 * `dev/db-password` or `secret/data/staging/db`, or a store named for another
 * environment (`vault-staging`). A key is split into path segments and each is
 * judged as a resource name is (whole tokens: `devices/api` is not dev's).
 */
export function foreignSecretSources(
  objects: readonly KubeObject[],
  environment: string,
  environmentNames: readonly string[]
): string[] {
  const problems: string[] = []
  for (const object of objects) {
    if (producerKind(object) !== 'ExternalSecret') continue
    for (const { field, value } of externalSecretSources(object)) {
      const foreign = value
        .split(/[/:]/)
        .map(segment => foreignEnvironmentIn(segment, environment, environmentNames))
        .find(Boolean)
      if (foreign)
        problems.push(
          `${displayName(object)} reads ${JSON.stringify(value)} (${field}), which is named for environment ${foreign}, in stage ${environment}`
        )
    }
  }
  return problems
}
