/**
 * The requests behind a stage's ApplySet: read and write its parent (a
 * Secret, server-side applied), find the kinds it records, list its members
 * (by their part-of label, kind by kind, namespace by namespace), delete one
 * (only the very object listed: a UID precondition) and wait until deleted
 * objects are gone. What they mean is applyset-rules.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { KubeObject } from '../manifests/types.js'
import { displayName } from '../manifests/objects.js'
import { serverSideApply } from './apply.js'
import { APPLYSET_PART_OF_LABEL, parseGroupKind, type ParentRef } from './applyset-rules.js'
import type { ApiResource, KubeClient } from './client.js'
import { asKubeApiError } from './errors.js'
import { collectionPath, objectPath, withQuery } from './paths.js'

/** A kind the set may hold, as the API server serves it. */
export interface MemberKind {
  groupKind: string
  apiVersion: string
  resource: ApiResource
}

/** A live member, with what it takes to delete it. */
export interface Member {
  object: KubeObject
  type: MemberKind
}

const SECRETS: ApiResource = { name: 'secrets', kind: 'Secret', namespaced: true, verbs: [] }

function parentPath(parent: ParentRef): string {
  return objectPath('v1', SECRETS, parent.namespace, parent.name)
}

/** The parent as it is, or undefined when there is none. */
export async function readParentObject(
  client: KubeClient,
  parent: ParentRef
): Promise<KubeObject | undefined> {
  try {
    return await client.getJson<KubeObject>(parentPath(parent))
  } catch (error) {
    if (asKubeApiError(error)?.status === 404) return undefined
    throw error
  }
}

/**
 * Server-side applies the parent under its own field manager, taking its fields
 * over if needed, as kubectl does: the set was checked to be kube-stage's.
 */
export async function writeParent(
  client: KubeClient,
  manifest: KubeObject,
  fieldManager: string
): Promise<void> {
  await serverSideApply(client, manifest, SECRETS, { fieldManager, force: true }, false)
}

/**
 * The served version and resource of a recorded group-kind: the group's preferred
 * version from discovery. Undefined when the cluster no longer serves it (a
 * removed CRD): then nothing of it can be left to prune.
 */
export async function resolveMemberKind(
  client: KubeClient,
  groupKind: string
): Promise<MemberKind | undefined> {
  const { kind, group } = parseGroupKind(groupKind)
  let apiVersion = 'v1'
  if (group) {
    try {
      const discovered = await client.getJson<{ preferredVersion?: { groupVersion?: string } }>(
        `/apis/${encodeURIComponent(group)}`
      )
      if (!discovered.preferredVersion?.groupVersion) return undefined
      apiVersion = discovered.preferredVersion.groupVersion
    } catch (error) {
      if (asKubeApiError(error)?.status === 404) return undefined
      throw error
    }
  }
  const resource = await client.resourceFor(apiVersion, kind)
  return resource?.namespaced ? { groupKind, apiVersion, resource } : undefined
}

/** Every object labelled as a member, of each kind in each namespace: one list request per pair. */
export async function listMembers(
  client: KubeClient,
  id: string,
  kinds: MemberKind[],
  namespaces: string[]
): Promise<Member[]> {
  const lists = await Promise.all(
    kinds.flatMap(kind =>
      namespaces.map(async namespace => {
        const path = withQuery(collectionPath(kind.apiVersion, kind.resource, namespace), {
          labelSelector: `${APPLYSET_PART_OF_LABEL}=${id}`
        })
        const list = await client.getJson<{ items?: KubeObject[] }>(path)
        return (list.items ?? []).map(item => ({
          object: { ...item, apiVersion: kind.apiVersion, kind: kind.resource.kind },
          type: kind
        }))
      })
    )
  )
  return lists.flat()
}

function memberPath(member: Member): string {
  const { object, type } = member
  return objectPath(type.apiVersion, type.resource, object.metadata.namespace, object.metadata.name)
}

/**
 * Deletes exactly the object that was listed (UID precondition), dependents
 * first (foreground: a Deployment stays until its pods are gone). `gone` when
 * it already was, `replaced` when another object now has its name.
 */
export async function deleteMember(
  client: KubeClient,
  member: Member
): Promise<'deleted' | 'gone' | 'replaced'> {
  try {
    await client.send('DELETE', memberPath(member), {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Foreground',
      preconditions: { uid: member.object.metadata.uid }
    })
    return 'deleted'
  } catch (error) {
    const status = asKubeApiError(error)?.status
    if (status === 404) return 'gone'
    if (status === 409) return 'replaced'
    throw error
  }
}

/** Waits until each deleted object is gone (or another took its name); returns those still there at the deadline. */
export async function waitUntilGone(
  client: KubeClient,
  members: Member[],
  timeoutMs: number,
  log: (line: string) => void
): Promise<Member[]> {
  let remaining = members
  const deadline = Date.now() + timeoutMs
  if (remaining.length > 0)
    log(`Waiting for ${remaining.map(m => displayName(m.object)).join(', ')} to be deleted`)
  while (remaining.length > 0) {
    const present = await Promise.all(
      remaining.map(async member => {
        try {
          const live = await client.getJson<KubeObject>(memberPath(member))
          return live.metadata.uid === member.object.metadata.uid
        } catch (error) {
          if (asKubeApiError(error)?.status === 404) return false
          throw error
        }
      })
    )
    remaining = remaining.filter((_, i) => present[i])
    if (remaining.length === 0 || Date.now() >= deadline) break
    await sleep(250)
  }
  return remaining
}
