/**
 * Which Secrets and ConfigMaps already exist in a namespace, by name only.
 * Asks for metadata alone (PartialObjectMetadataList), so secret values never
 * travel to the runner.
 */
import type { KubeClient } from './client.js'

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
