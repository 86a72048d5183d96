/** REST paths for objects, from discovery data. Pure. */
import type { ApiResource } from './client.js'

export function collectionPath(
  apiVersion: string,
  resource: Pick<ApiResource, 'name' | 'namespaced'>,
  namespace?: string
): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
  const scope = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''
  return `${base}${scope}/${resource.name}`
}

export function objectPath(
  apiVersion: string,
  resource: Pick<ApiResource, 'name' | 'namespaced'>,
  namespace: string | undefined,
  name: string
): string {
  return `${collectionPath(apiVersion, resource, namespace)}/${encodeURIComponent(name)}`
}

export function withQuery(
  path: string,
  query: Record<string, string | number | boolean | undefined>
): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value))
  const text = params.toString()
  return text ? `${path}?${text}` : path
}
