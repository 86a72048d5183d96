/**
 * Which Secrets and ConfigMaps already exist in a namespace, by name only:
 * metadata alone (PartialObjectMetadataList), so secret values never travel to
 * the runner. Their data is read only where a feature needs it (the Secrets
 * producers make, for config digests; with release-key, the values compared
 * across environments), and goes into digests only.
 */
import type { KubeObject } from '../manifests/types.js'
import type { KubeClient } from './client.js'
import { asKubeApiError } from './errors.js'

const METADATA_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1'

export async function existingConfigNames(client: KubeClient, namespace: string): Promise<Set<string>> {
  const ns = encodeURIComponent(namespace)
  const [secrets, configMaps] = await Promise.all(
    ['secrets', 'configmaps'].map(resource =>
      client.getJson<{ items: { metadata: { name: string } }[] }>(
        `/api/v1/namespaces/${ns}/${resource}`,
        METADATA_ONLY
      )
    )
  )
  return new Set([
    ...(secrets.items ?? []).map(i => `Secret/${i.metadata.name}`),
    ...(configMaps.items ?? []).map(i => `ConfigMap/${i.metadata.name}`)
  ])
}

/** Secret name → its data (base64 values, as the API server keeps them). */
export type SecretData = Map<string, Record<string, string>>

export const secretPath = (namespace: string, name: string) =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`

export async function getOrNull<T>(client: KubeClient, path: string): Promise<T | null> {
  try {
    return await client.getJson<T>(path)
  } catch (error) {
    if (asKubeApiError(error)?.status === 404) return null
    throw error
  }
}

export const dataOf = (secret: KubeObject) => ({ ...((secret.data ?? {}) as Record<string, string>) })

/** The data of Secrets that exist, by name; the rest are left out. */
export async function readSecretData(
  client: KubeClient,
  namespace: string,
  names: Iterable<string>
): Promise<SecretData> {
  const found = await Promise.all(
    [...new Set(names)].map(
      async name => [name, await getOrNull<KubeObject>(client, secretPath(namespace, name))] as const
    )
  )
  return new Map(found.flatMap(([name, secret]) => (secret ? [[name, dataOf(secret)]] : [])))
}
