/**
 * The writes a strategy makes besides the stage's own plan: its copies (the
 * canary, the preview and its Service) applied and removed, and the Services'
 * selectors switched. The copies are the stage's own objects, so they are
 * applied with force under its field manager; a switch is a merge patch under
 * `<field-manager>-switch`, because it must remove selector keys another
 * manager applied.
 */
import type { ApiResource, KubeClient } from '../kube/client.js'
import { serverSideApply } from '../kube/apply.js'
import { deleteMember, waitUntilGone, type Member } from '../kube/applyset.js'
import { collectionPath, objectPath, withQuery } from '../kube/paths.js'
import type { KubeObject } from '../manifests/types.js'
import { selectorPatch } from './plan.js'

export const SERVICES: ApiResource = { name: 'services', kind: 'Service', namespaced: true, verbs: [] }
/** A copy's pods go in a few seconds; one that hangs (a finalizer) must not hold the stage. */
const REMOVE_TIMEOUT_MS = 60_000

export interface Copy {
  object: KubeObject
  resource: ApiResource
}

/** Applies a copy; returns it as stored (with its uid, for its removal). */
export async function applyCopy(client: KubeClient, copy: Copy, fieldManager: string): Promise<Copy> {
  const response = await serverSideApply(
    client,
    copy.object,
    copy.resource,
    { fieldManager, force: true },
    false
  )
  return { object: response.body, resource: copy.resource }
}

/**
 * Removes copies, dependents first (a Deployment goes once its pods are gone, so no
 * Service sends them traffic any more); returns the names of those still there after a minute.
 */
export async function removeCopies(
  client: KubeClient,
  copies: readonly Copy[],
  log: (line: string) => void
): Promise<string[]> {
  const members: Member[] = copies.map(c => ({
    object: c.object,
    type: { groupKind: c.object.kind, apiVersion: c.object.apiVersion, resource: c.resource }
  }))
  const deleted = await Promise.all(members.map(m => deleteMember(client, m)))
  const left = await waitUntilGone(
    client,
    members.filter((_, i) => deleted[i] === 'deleted'),
    REMOVE_TIMEOUT_MS,
    log
  )
  return left.map(m => `${m.object.kind}/${m.object.metadata.name}`)
}

async function list(
  client: KubeClient,
  apiVersion: string,
  resource: ApiResource,
  namespace: string
): Promise<KubeObject[]> {
  const items = (
    await client.getJson<{ items?: KubeObject[] }>(collectionPath(apiVersion, resource, namespace))
  ).items
  return (items ?? []).map(item => ({ ...item, apiVersion, kind: resource.kind }))
}

export const listServices = (client: KubeClient, namespace: string) => list(client, 'v1', SERVICES, namespace)

const WORKLOADS: ApiResource[] = ['Deployment', 'StatefulSet', 'DaemonSet'].map(kind => ({
  name: `${kind.toLowerCase()}s`,
  kind,
  namespaced: true,
  verbs: []
}))

/** The namespace's Deployments, StatefulSets and DaemonSets: whose pods a Service may also select. */
export async function listWorkloads(client: KubeClient, namespace: string): Promise<KubeObject[]> {
  return (await Promise.all(WORKLOADS.map(r => list(client, 'apps/v1', r, namespace)))).flat()
}

/** Makes a live Service that selects `from` select exactly `to`; `remember`: keep `from` on it (the switch). */
export async function switchSelector(
  client: KubeClient,
  service: KubeObject,
  from: Record<string, string>,
  to: Record<string, string>,
  fieldManager: string,
  remember: boolean
): Promise<void> {
  const path = objectPath('v1', SERVICES, service.metadata.namespace, service.metadata.name)
  await client.send(
    'PATCH',
    withQuery(path, { fieldManager: `${fieldManager}-switch` }),
    selectorPatch(from, to, remember),
    'application/merge-patch+json'
  )
}
