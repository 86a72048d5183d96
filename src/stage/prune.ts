/**
 * prune: objects this stage applied in an earlier run that its manifests no
 * longer have are deleted, once the stage has passed. The stage's ApplySet
 * (KEP-3659, in the form kubectl reads) says which: a parent Secret
 * `kube-stage-<environment>` in the stage's namespace, its members labelled with
 * its id. Before anything is written the parent is checked to be kube-stage's;
 * before applying, it records the union of the old and new kinds (so an
 * interrupted run cannot leak objects); after pruning, only what is left.
 * Nothing that is not labelled as a member is ever deleted.
 */
import { isStageError, StageError } from '../errors.js'
import { formatDuration } from '../duration.js'
import {
  deleteMember,
  listMembers,
  readParentObject,
  resolveMemberKind,
  waitUntilGone,
  writeParent,
  type Member,
  type MemberKind
} from '../kube/applyset.js'
import {
  APPLYSET_PART_OF_LABEL,
  applySetConflict,
  applySetId,
  contentsOf,
  parentManifest,
  parentRef,
  pruneCandidates,
  pruneOrder,
  readParent,
  sameContents,
  union,
  type ParentRef,
  type SetContents
} from '../kube/applyset-rules.js'
import { asKubeApiError } from '../kube/errors.js'
import { forbiddenError, rethrowForbidden } from '../kube/forbidden.js'
import { displayName, objectKey } from '../manifests/objects.js'
import type { KubeObject } from '../manifests/types.js'
import { info } from '../report/log.js'
import { prunedEntry } from '../report/plan.js'
import { VERSION } from '../version.js'
import { warn, type StageContext } from './context.js'
import type { Planned } from './plan.js'

export interface ApplySet {
  parent: ParentRef
  id: string
  /** What the parent recorded before this run (nothing when there was none). */
  recorded: SetContents
  exists: boolean
  /** What this run's members make it record. */
  desired: SetContents
  /** This run's members (group/kind/namespace/name): never pruned. */
  keep: ReadonlySet<string>
}

/** The stage's set with prune on: its parent read and checked before anything is written. */
export async function openApplySet(stage: StageContext, planned: Planned): Promise<ApplySet | undefined> {
  const { client, config } = stage
  if (!config.prune) return undefined
  const parent = parentRef(config.environment, config.namespace)
  const id = applySetId(parent)
  const live = planned.namespaceExists
    ? await readParentObject(client, parent).catch(
        rethrowForbidden("read the stage's ApplySet parent (prune)")
      )
    : undefined
  let recorded: SetContents = { groupKinds: [], namespaces: [] }
  if (live) {
    const read = readParent(parent, live)
    if (!read.ok) throw applySetConflict(read.reason)
    recorded = read.contents
  }
  const members = planned.objects.filter(o => o.metadata.labels?.[APPLYSET_PART_OF_LABEL] === id)
  return {
    parent,
    id,
    recorded,
    exists: live !== undefined,
    desired: contentsOf(members, parent),
    keep: new Set(members.map(objectKey))
  }
}

/** Plan mode: what prune would delete after this stage passed, added to the plan. */
export async function planPrune(stage: StageContext, set: ApplySet): Promise<void> {
  const candidates = await findPrunable(stage, set)
  for (const member of candidates) info(`${displayName(member.object)}: would be pruned`)
  stage.record.plan = [...(stage.record.plan ?? []), ...candidates.map(m => prunedEntry(m.object))]
}

/** Before applying: the parent records the old and the new kinds, so an interrupted run leaks nothing. */
export async function widenApplySet(stage: StageContext, set: ApplySet): Promise<void> {
  const widened = union(set.recorded, set.desired)
  if (set.exists && sameContents(set.recorded, widened)) return
  await recordContents(stage, set, widened)
}

/**
 * After the stage passed: every member the manifests no longer have is
 * deleted, tier by tier in reverse dependency order, each tier waited on until
 * gone; then the parent records only what is left.
 */
export async function prune(stage: StageContext, set: ApplySet): Promise<void> {
  try {
    await pruneMembers(stage, set)
  } catch (error) {
    // After a stage that passed: whatever went wrong, the release stays (nothing to roll back).
    throw isStageError(error) ? error : pruneError(error, stage.record.pruned ?? [])
  }
}

async function pruneMembers(stage: StageContext, set: ApplySet): Promise<void> {
  const { config, record } = stage
  const candidates = await findPrunable(stage, set)
  record.pruned = []
  const started = Date.now()
  const deadline = started + config.timeoutMs
  const lingering: Member[] = []
  const memberOf = new Map(candidates.map(m => [m.object, m]))
  for (const tier of pruneOrder(candidates.map(m => m.object)))
    lingering.push(
      ...(await deleteTier(
        stage,
        tier.map(o => memberOf.get(o)!),
        deadline
      ))
    )
  info(
    candidates.length > 0
      ? `Pruned ${record.pruned.length} object(s) in ${formatDuration(Date.now() - started)}`
      : 'Nothing to prune: every member of the ApplySet is in the manifests'
  )
  // Narrowed to what is left: the new members, and any still being deleted.
  const left = union(
    set.desired,
    contentsOf(
      lingering.map(m => m.object),
      set.parent
    )
  )
  if (!sameContents(left, union(set.recorded, set.desired))) await recordContents(stage, set, left)
}

/** Deletes one tier and waits until it is gone; returns what is still being deleted at the deadline. */
async function deleteTier(stage: StageContext, tier: Member[], deadline: number): Promise<Member[]> {
  const { client, config, record } = stage
  const deleted: Member[] = []
  for (const member of tier) {
    const name = displayName(member.object)
    const outcome = await deleteMember(client, member).catch((error: unknown) => {
      throw pruneError(error, record.pruned ?? [], name)
    })
    if (outcome === 'replaced') {
      info(`${name}: not pruned, another object took its name since it was listed`)
      continue
    }
    info(`${name}: pruned`)
    record.pruned?.push(name)
    record.plan?.push(prunedEntry(member.object))
    if (outcome === 'deleted') deleted.push(member)
  }
  const remaining = await waitUntilGone(client, deleted, Math.max(0, deadline - Date.now()), line =>
    info(line)
  )
  if (remaining.length > 0)
    warn(
      record,
      `Pruned ${remaining.map(m => displayName(m.object)).join(', ')}, but still being deleted after ${formatDuration(config.timeoutMs)} (finalizers, or pods slow to stop): the ApplySet keeps their kinds until they are gone.`
    )
  return remaining
}

/** The members the manifests no longer have, of every kind the parent records or this run adds. */
async function findPrunable(stage: StageContext, set: ApplySet): Promise<Member[]> {
  const { client } = stage
  const contents = union(set.recorded, set.desired)
  const kinds = (await Promise.all(contents.groupKinds.map(gk => resolveMemberKind(client, gk)))).filter(
    (k): k is MemberKind => k !== undefined
  )
  const members = await listMembers(client, set.id, kinds, [
    set.parent.namespace,
    ...contents.namespaces
  ]).catch(rethrowForbidden("list the members of the stage's ApplySet (prune)"))
  const candidates = new Set<KubeObject>(
    pruneCandidates(
      members.map(m => m.object),
      set.id,
      set.keep
    )
  )
  return members.filter(m => candidates.has(m.object))
}

async function recordContents(stage: StageContext, set: ApplySet, contents: SetContents): Promise<void> {
  const { client, config } = stage
  await writeParent(
    client,
    parentManifest(set.parent, VERSION, contents),
    `${config.fieldManager}-applyset`
  ).catch(rethrowForbidden("write the stage's ApplySet parent (prune)"))
  info(
    `ApplySet ${set.parent.kind}/${set.parent.name} records ${contents.groupKinds.join(', ') || 'no kinds'}${contents.namespaces.length ? ` (also in ${contents.namespaces.join(', ')})` : ''}`
  )
}

function pruneError(error: unknown, pruned: readonly string[], name?: string): StageError {
  const api = asKubeApiError(error)
  const what = name ? `delete ${name}, which the manifests no longer have` : 'finish pruning'
  if (api?.status === 403) return forbiddenError(api, `${what} (prune)`)
  return new StageError(
    'PruneFailed',
    `The stage passed, but it could not ${what}: ${(error as Error).message}. ` +
      `The release stays; ${pruned.length ? `pruned before it: ${pruned.join(', ')}; ` : ''}the next run prunes what is left.`,
    { cause: error }
  )
}
