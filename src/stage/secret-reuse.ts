/**
 * The Secret-value side of "a dev secret in prod" (promote/secret-reuse.ts has
 * the rule): with release-key, the values of the Secrets the pods use are
 * digested into the stage's record, and compared with the digests the
 * upstream stage's record (promote-from) carries. Checked twice: before
 * anything is written, for the Secrets of the manifests and the namespace;
 * and once the producers have made theirs, before any workload. Without
 * release-key it reads no Secret and adds no request.
 */
import { StageError } from '../errors.js'
import { readSecretData, type SecretData } from '../kube/existing.js'
import { rethrowForbidden } from '../kube/forbidden.js'
import { findReferences } from '../manifests/references.js'
import { producedSecretNames } from '../manifests/producers.js'
import type { KubeObject } from '../manifests/types.js'
import {
  manifestSecretData,
  reusedSecretValues,
  secretValueDigests,
  type SecretValues
} from '../promote/secret-reuse.js'
import type { ReleaseRecord } from '../promote/release.js'
import { info } from '../report/log.js'
import type { StageContext } from './context.js'

/** Names of the Secrets the pods use for their configuration (pull Secrets are shared by design). */
function usedSecretNames(objects: readonly KubeObject[]): Set<string> {
  return new Set(
    findReferences([...objects])
      .filter(r => r.kind === 'Secret' && !r.field.includes('imagePullSecrets'))
      .map(r => r.name)
  )
}

/** Before any write: the used Secrets that are in the manifests or already in the namespace. */
export async function checkSecretReuse(
  stage: StageContext,
  objects: readonly KubeObject[],
  namespaceExists: boolean,
  upstream: ReleaseRecord | undefined
): Promise<void> {
  const { client, config } = stage
  if (!config.releaseKey) return
  const used = usedSecretNames(objects)
  if (used.size === 0) return
  const produced = producedSecretNames(objects)
  const inManifests: SecretValues[] = objects
    .filter(o => o.kind === 'Secret' && used.has(o.metadata.name))
    .map(o => ({ name: o.metadata.name, data: manifestSecretData(o) }))
  const fromManifests = new Set(inManifests.map(s => s.name))
  const toRead = [...used].filter(n => !fromManifests.has(n) && !produced.has(`Secret/${n}`))
  const inCluster =
    namespaceExists && toRead.length > 0
      ? await readSecretData(client, config.namespace, toRead).catch(
          rethrowForbidden(`read the Secrets the pods use in ${config.namespace}, to compare their values`)
        )
      : new Map()
  compareAndRecord(stage, [...inManifests, ...valuesOf(inCluster)], upstream, 'nothing was applied')
}

/** Once the producers have made their Secrets, before any workload uses them. */
export function checkProducedSecretReuse(
  stage: StageContext,
  objects: readonly KubeObject[],
  produced: SecretData,
  upstream: ReleaseRecord | undefined
): void {
  if (!stage.config.releaseKey) return
  const used = usedSecretNames(objects)
  const secrets = valuesOf(produced).filter(s => used.has(s.name))
  compareAndRecord(stage, secrets, upstream, 'no workload was applied')
}

const valuesOf = (data: SecretData): SecretValues[] =>
  [...data].map(([name, values]) => ({ name, data: values }))

function compareAndRecord(
  { config, record }: StageContext,
  secrets: SecretValues[],
  upstream: ReleaseRecord | undefined,
  consequence: string
): void {
  if (secrets.length === 0) return
  const digests = secretValueDigests(secrets, config.releaseKey!, config.sharedSecretKeys)
  record.secretDigests = { ...record.secretDigests, ...digests }
  if (!upstream) return
  if (!upstream.secretDigests) {
    info(
      `Secret values not compared with ${upstream.environment}: its record carries no secretDigests (give that stage the release-key too)`
    )
    return
  }
  const reused = reusedSecretValues(digests, upstream.secretDigests, config.environment, upstream.environment)
  if (reused.length > 0)
    throw new StageError(
      'SecretReused',
      `${reused.length} Secret value(s) used in ${config.environment} were used in ${upstream.environment} too; ${consequence}. ${reused[0]}. Give ${config.environment} its own value, or list the key in shared-secret-keys if it is the same everywhere by design.`,
      { details: reused }
    )
  info(
    `Secret values: ${Object.keys(digests).length} compared with ${upstream.environment} by keyed digest, none the same`
  )
}
