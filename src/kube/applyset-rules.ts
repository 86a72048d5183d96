/**
 * The ApplySet of a stage, as KEP-3659 specifies it and kubectl implements it
 * (kubectl's pkg/cmd/apply/applyset.go): a parent object whose label
 * `applyset.kubernetes.io/id` names the set, annotated with the tool that owns
 * it and the group-kinds its members may have; members labelled
 * `applyset.kubernetes.io/part-of: <id>`. What the stage may prune follows from
 * these alone. Pure; the requests are in applyset.ts.
 */
import { createHash } from 'node:crypto'
import { StageError } from '../errors.js'
import { apiGroup, displayName, objectKey } from '../manifests/objects.js'
import { orderForApply } from '../manifests/order.js'
import type { KubeObject } from '../manifests/types.js'

export const APPLYSET_ID_LABEL = 'applyset.kubernetes.io/id'
export const APPLYSET_PART_OF_LABEL = 'applyset.kubernetes.io/part-of'
export const APPLYSET_TOOLING_ANNOTATION = 'applyset.kubernetes.io/tooling'
export const APPLYSET_GROUP_KINDS_ANNOTATION = 'applyset.kubernetes.io/contains-group-kinds'
export const APPLYSET_NAMESPACES_ANNOTATION = 'applyset.kubernetes.io/additional-namespaces'

/** The tool name in the tooling annotation (`kube-stage/v0.1.0`). */
export const TOOL_NAME = 'kube-stage'

/** Where a set's parent is: kubectl's default parent kind, a Secret. */
export interface ParentRef {
  name: string
  namespace: string
  kind: 'Secret'
  group: ''
}

/** The parent of a stage's set: one per environment and namespace. */
export function parentRef(environment: string, namespace: string): ParentRef {
  return { name: `kube-stage-${environment}`, namespace, kind: 'Secret', group: '' }
}

/**
 * `applyset-` + base64url (unpadded) of sha256(`<name>.<namespace>.<Kind>.<group>`) + `-v1`,
 * kubectl's ApplySet.ID(): the prefix and suffix keep it a valid label value.
 */
export function applySetId(parent: Pick<ParentRef, 'name' | 'namespace' | 'kind' | 'group'>): string {
  const hash = createHash('sha256')
    .update([parent.name, parent.namespace, parent.kind, parent.group].join('.'))
    .digest('base64url')
  return `applyset-${hash}-v1`
}

export function toolingValue(version: string): string {
  return `${TOOL_NAME}/v${version.replace(/^v/, '')}`
}

/** The tool of a tooling annotation: everything before its last `/` (kubectl's toolingBaseName). */
export function toolingName(annotation: string): string {
  const at = annotation.lastIndexOf('/')
  return at === -1 ? annotation : annotation.slice(0, at)
}

/** `Kind` for the core group, `Kind.group` otherwise (schema.GroupKind's String()). */
export function groupKindOf(object: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const group = apiGroup(object.apiVersion)
  return group ? `${object.kind}.${group}` : object.kind
}

/** `Deployment.apps` → {kind: Deployment, group: apps}; the group is everything after the first dot. */
export function parseGroupKind(text: string): { kind: string; group: string } {
  const at = text.indexOf('.')
  return at === -1 ? { kind: text, group: '' } : { kind: text.slice(0, at), group: text.slice(at + 1) }
}

/** A comma-separated annotation value as a set; empty means none. */
export function parseList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map(v => v.trim())
    .filter(Boolean)
}

/** Sorted and comma-separated, as kubectl writes both list annotations. */
export function formatList(values: Iterable<string>): string {
  return [...new Set(values)].sort().join(',')
}

/** What a parent records: the group-kinds its members may have and the namespaces beside its own. */
export interface SetContents {
  groupKinds: string[]
  /** Namespaces other than the parent's own. */
  namespaces: string[]
}

export function union(a: SetContents, b: SetContents): SetContents {
  return {
    groupKinds: [...new Set([...a.groupKinds, ...b.groupKinds])].sort(),
    namespaces: [...new Set([...a.namespaces, ...b.namespaces])].sort()
  }
}

export function sameContents(a: SetContents, b: SetContents): boolean {
  return (
    formatList(a.groupKinds) === formatList(b.groupKinds) &&
    formatList(a.namespaces) === formatList(b.namespaces)
  )
}

/** The parent as kube-stage writes it (server-side apply): label, tooling and both lists. */
export function parentManifest(parent: ParentRef, version: string, contents: SetContents): KubeObject {
  const namespaces = contents.namespaces.filter(n => n !== parent.namespace)
  return {
    apiVersion: 'v1',
    kind: parent.kind,
    metadata: {
      name: parent.name,
      namespace: parent.namespace,
      labels: { [APPLYSET_ID_LABEL]: applySetId(parent) },
      annotations: {
        [APPLYSET_TOOLING_ANNOTATION]: toolingValue(version),
        [APPLYSET_GROUP_KINDS_ANNOTATION]: formatList(contents.groupKinds),
        ...(namespaces.length ? { [APPLYSET_NAMESPACES_ANNOTATION]: formatList(namespaces) } : {})
      }
    }
  }
}

/**
 * What an existing parent records, or the reason it is not this stage's set to
 * touch: another tool's tooling, none at all (an object that only has the
 * parent's name), or an id label for another parent.
 */
export function readParent(
  parent: ParentRef,
  live: Pick<KubeObject, 'metadata'>
): { ok: true; contents: SetContents } | { ok: false; reason: string } {
  const where = `${parent.kind} ${parent.namespace}/${parent.name}`
  const tooling = live.metadata.annotations?.[APPLYSET_TOOLING_ANNOTATION]
  if (tooling === undefined)
    return {
      ok: false,
      reason: `${where} exists but is not an ApplySet parent (it has no ${APPLYSET_TOOLING_ANNOTATION} annotation)`
    }
  if (toolingName(tooling) !== TOOL_NAME)
    return {
      ok: false,
      reason: `${where} is the ApplySet of another tool ("${tooling}"), not ${TOOL_NAME}'s`
    }
  const id = live.metadata.labels?.[APPLYSET_ID_LABEL]
  if (id !== applySetId(parent))
    return {
      ok: false,
      reason: `${where} has ${id === undefined ? 'no' : `another`} ${APPLYSET_ID_LABEL} label (expected ${applySetId(parent)})`
    }
  const annotations = live.metadata.annotations ?? {}
  return {
    ok: true,
    contents: {
      groupKinds: parseList(annotations[APPLYSET_GROUP_KINDS_ANNOTATION]).sort(),
      namespaces: parseList(annotations[APPLYSET_NAMESPACES_ANNOTATION])
        .filter(n => n !== parent.namespace)
        .sort()
    }
  }
}

export function applySetConflict(reason: string): StageError {
  return new StageError(
    'ApplySetConflict',
    `Cannot prune: ${reason}. kube-stage never changes another tool's set; nothing was applied. Rename or remove that object, or turn prune off.`
  )
}

/** Members: the stage's namespaced objects (cluster-scoped ones are shared too widely to prune). */
export function isMember(object: Pick<KubeObject, 'metadata'>): boolean {
  return typeof object.metadata.namespace === 'string' && object.metadata.namespace !== ''
}

/** What a set of members makes the parent record. */
export function contentsOf(
  members: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>[],
  parent: ParentRef
): SetContents {
  return {
    groupKinds: [...new Set(members.map(groupKindOf))].sort(),
    namespaces: [...new Set(members.map(m => m.metadata.namespace!))]
      .filter(n => n !== parent.namespace)
      .sort()
  }
}

/**
 * The members labelled `part-of: <id>`. An object that already carries the
 * label, or that is the parent itself, is refused: kubectl refuses the first too.
 */
export function labelMembers(objects: KubeObject[], parent: ParentRef): KubeObject[] {
  const id = applySetId(parent)
  const problems = objects.flatMap(object => {
    if (
      object.kind === parent.kind &&
      apiGroup(object.apiVersion) === parent.group &&
      object.metadata.name === parent.name &&
      object.metadata.namespace === parent.namespace
    )
      return [
        `${displayName(object)}: this is the name of the stage's ApplySet parent, which kube-stage writes itself`
      ]
    if (object.metadata.labels?.[APPLYSET_PART_OF_LABEL] !== undefined)
      return [`${displayName(object)}: sets the label ${APPLYSET_PART_OF_LABEL}, which prune sets itself`]
    return []
  })
  if (problems.length > 0)
    throw new StageError(
      'InvalidManifest',
      `${problems.length} object(s) cannot be part of the stage's ApplySet: ${problems[0]}.`,
      {
        details: problems
      }
    )
  return objects.map(object =>
    isMember(object)
      ? {
          ...object,
          metadata: {
            ...object.metadata,
            labels: { ...object.metadata.labels, [APPLYSET_PART_OF_LABEL]: id }
          }
        }
      : object
  )
}

interface OwnerReference {
  controller?: boolean
}

/**
 * The live objects to delete: members of this set (labelled with its id, and
 * that label is checked here again, whatever the list request selected) that
 * the manifests no longer have. An object a controller owns is its owner's to
 * delete, and a parent is never a member.
 */
export function pruneCandidates<T extends Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>>(
  live: T[],
  id: string,
  keep: ReadonlySet<string>
): T[] {
  return live.filter(object => {
    const labels = object.metadata.labels ?? {}
    if (labels[APPLYSET_PART_OF_LABEL] !== id || labels[APPLYSET_ID_LABEL] !== undefined) return false
    const owners = (object.metadata.ownerReferences ?? []) as OwnerReference[]
    if (owners.some(owner => owner.controller === true)) return false
    return !keep.has(objectKey(object))
  })
}

/** Tiers to delete one after another: the reverse of the apply order (workloads before what they use). */
export function pruneOrder<T extends Pick<KubeObject, 'kind'>>(objects: T[]): T[][] {
  return orderForApply(objects).reverse()
}
