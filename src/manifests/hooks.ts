/**
 * Helm hooks, as a stage runs them. A stage is one `helm upgrade --install`,
 * so the install and upgrade hooks have a place in it: pre-install/pre-upgrade
 * Jobs are pre-deploy Jobs (before the workloads, manifests/pre-deploy.ts);
 * post-install/post-upgrade hooks run once the rollout is ready and before the
 * smoke checks (stage/post-deploy.ts), in Helm's order and with Helm's delete
 * policies. Delete and rollback hooks have no moment in a stage and are left
 * out with a warning; chart tests are left out (the smoke checks take their
 * place). Pure.
 */
import type { Problem } from './problems.js'
import { tierOf } from './order.js'
import type { KubeObject, LoadedManifest } from './types.js'

export const HELM_HOOK = 'helm.sh/hook'
export const HELM_HOOK_WEIGHT = 'helm.sh/hook-weight'
export const HELM_HOOK_DELETE_POLICY = 'helm.sh/hook-delete-policy'

/** The hooks a Helm object asks for, lower-case: `pre-install,pre-upgrade` → both. */
export function helmHooks(object: KubeObject): string[] {
  const value = object.metadata.annotations?.[HELM_HOOK]
  return value
    ? value
        .split(',')
        .map(h => h.trim().toLowerCase())
        .filter(Boolean)
    : []
}

/** Helm hooks that mean "before the release's workloads": a pre-deploy Job's contract. */
const PRE_DEPLOY_HOOKS = ['pre-install', 'pre-upgrade']
/** Helm hooks that mean "once the release is up": run after the rollout is ready. */
const POST_DEPLOY_HOOKS = ['post-install', 'post-upgrade']
/** Hooks of `helm uninstall` and `helm rollback`: a stage never uninstalls, and rolls back by itself. */
const LEFT_OUT_HOOKS = ['pre-delete', 'post-delete', 'pre-rollback', 'post-rollback']
/** `helm test` (and Helm 2's names for it): the stage's smoke checks take its place. */
const TEST_HOOKS = ['test', 'test-success', 'test-failure']

/** A Job that is a Helm pre-install or pre-upgrade hook: run as a pre-deploy Job (manifests/pre-deploy.ts). */
export function isPreDeployHook(object: KubeObject): boolean {
  return object.kind === 'Job' && helmHooks(object).some(hook => PRE_DEPLOY_HOOKS.includes(hook))
}

/**
 * A post-install or post-upgrade hook, of any kind but Pod: run after the rollout
 * is ready. A Job that is also a pre-install/pre-upgrade hook stays a pre-deploy
 * Job (it runs once per stage, before the workloads).
 */
export function isPostDeployHook(object: KubeObject): boolean {
  return (
    object.kind !== 'Pod' &&
    !isPreDeployHook(object) &&
    helmHooks(object).some(hook => POST_DEPLOY_HOOKS.includes(hook))
  )
}

export interface LeftOutHook {
  manifest: LoadedManifest
  hooks: string[]
  /** A chart test: expected to be left out, said without a warning. */
  test: boolean
}

/**
 * The objects a stage deploys, and the hooks it leaves out: those whose every
 * hook is a delete, rollback or test hook. An object that is also an install
 * or upgrade hook stays.
 */
export function leaveOutHooks(manifests: LoadedManifest[]): {
  kept: LoadedManifest[]
  leftOut: LeftOutHook[]
} {
  const kept: LoadedManifest[] = []
  const leftOut: LeftOutHook[] = []
  for (const manifest of manifests) {
    const hooks = helmHooks(manifest.object)
    const outside = hooks.filter(h => LEFT_OUT_HOOKS.includes(h) || TEST_HOOKS.includes(h))
    if (hooks.length === 0 || outside.length < hooks.length) kept.push(manifest)
    else leftOut.push({ manifest, hooks, test: hooks.some(h => TEST_HOOKS.includes(h)) })
  }
  return { kept, leftOut }
}

export function describeLeftOut({ manifest, hooks, test }: LeftOutHook): string {
  const name = `${manifest.object.kind}/${manifest.object.metadata.name}`
  if (test) return `${name} is a Helm test hook: left out (the stage's smoke checks take its place).`
  return `${name} is a Helm ${hooks.join(', ')} hook: left out. A stage never uninstalls a release and rolls back by itself, so it has no moment to run it; it is not applied as an ordinary object either, which would run it on every deploy.`
}

/**
 * Helm hooks the stage has no place for: refused, each with what to do.
 * A post-install Pod (Helm waits for it to succeed; a Pod cannot be run again
 * with a changed spec) should be a Job; other hooks (pre-install of a kind
 * other than Job, unknown hook names) would run at the wrong time if applied
 * as ordinary objects.
 */
export function refusedHooks(manifests: LoadedManifest[]): Problem[] {
  return manifests.flatMap(({ object, source }) => {
    const hooks = helmHooks(object)
    if (hooks.length === 0 || isPreDeployHook(object) || isPostDeployHook(object)) return []
    if (hooks.every(h => LEFT_OUT_HOOKS.includes(h) || TEST_HOOKS.includes(h))) return []
    const name = `${object.kind}/${object.metadata.name}`
    const message =
      object.kind === 'Pod' && hooks.some(h => POST_DEPLOY_HOOKS.includes(h))
        ? `${name} is a Helm hook (${hooks.join(', ')}) of kind Pod: kube-stage runs post-install and post-upgrade hooks as Jobs (a Pod cannot be run again once its spec changes). Make it a Job with restartPolicy: Never.`
        : `${name} is a Helm hook (${hooks.join(', ')}): kube-stage runs pre-install and pre-upgrade Jobs before the workloads and post-install and post-upgrade hooks after the rollout, and will not apply this one as an ordinary object. Remove the ${HELM_HOOK} annotation to deploy it with the other objects.`
    return [{ location: source, message }]
  })
}

/** Helm's hook-weight: an integer, lowest first; anything else counts as 0, as Helm reads it. */
export function hookWeight(object: KubeObject): number {
  const text = object.metadata.annotations?.[HELM_HOOK_WEIGHT]?.trim() ?? ''
  return /^[-+]?\d+$/.test(text) ? Number(text) : 0
}

/**
 * Helm's order for the hooks of one event: by weight, then by name, then by
 * kind in install order (a ServiceAccount before the Job that uses it).
 */
export function hookOrder<T extends { object: KubeObject }>(hooks: T[]): T[] {
  return [...hooks].sort(
    (a, b) =>
      hookWeight(a.object) - hookWeight(b.object) ||
      (a.object.metadata.name < b.object.metadata.name
        ? -1
        : a.object.metadata.name > b.object.metadata.name
          ? 1
          : 0) ||
      tierOf(a.object) - tierOf(b.object)
  )
}

export type HookDeletePolicy = 'before-hook-creation' | 'hook-succeeded' | 'hook-failed'
const DELETE_POLICIES: HookDeletePolicy[] = ['before-hook-creation', 'hook-succeeded', 'hook-failed']

/** The hook's delete policies; none declared means before-hook-creation, as in Helm 3. */
export function deletePolicies(object: KubeObject): Set<HookDeletePolicy> {
  const declared = (object.metadata.annotations?.[HELM_HOOK_DELETE_POLICY] ?? '')
    .split(',')
    .map(p => p.trim().toLowerCase())
    .filter((p): p is HookDeletePolicy => DELETE_POLICIES.includes(p as HookDeletePolicy))
  return new Set(declared.length > 0 ? declared : ['before-hook-creation'])
}

/** Unknown delete policies are refused before anything is written: a typo would keep a hook forever. */
export function checkDeletePolicies(manifests: LoadedManifest[]): Problem[] {
  return manifests.flatMap(({ object, source }) => {
    const text = object.metadata.annotations?.[HELM_HOOK_DELETE_POLICY]
    if (text === undefined || !isPostDeployHook(object)) return []
    const unknown = text
      .split(',')
      .map(p => p.trim())
      .filter(p => p && !DELETE_POLICIES.includes(p.toLowerCase() as HookDeletePolicy))
    if (unknown.length === 0) return []
    return [
      {
        location: source,
        message: `${object.kind}/${object.metadata.name}: ${HELM_HOOK_DELETE_POLICY} "${unknown.join(', ')}" is not one of ${DELETE_POLICIES.join(', ')}`
      }
    ]
  })
}

/**
 * A post-deploy hook Job found in the cluster: with before-hook-creation (the
 * default) it is deleted and created again, so it runs on every stage as on
 * every `helm upgrade`. Without it, the pre-deploy rule holds: replaced when
 * its spec changed or it failed, left alone when it completed with this spec.
 */
export function replacesHook(desired: KubeObject, unchanged: boolean, failed: boolean): boolean {
  if (desired.kind !== 'Job' || !isPostDeployHook(desired)) return false
  return deletePolicies(desired).has('before-hook-creation') || !unchanged || failed
}

/**
 * What the hooks' delete policies remove once their run is over: after all
 * succeeded, every hook-succeeded one, last first (a Job's ServiceAccount
 * outlives the Job); after one failed, that one if hook-failed and those that
 * succeeded before it if hook-succeeded, as Helm does.
 */
export function hooksToDelete<T extends { object: KubeObject }>(ran: T[], failed: T | undefined): T[] {
  const succeeded = ran.filter(h => h !== failed && deletePolicies(h.object).has('hook-succeeded')).reverse()
  const failedToo = failed && deletePolicies(failed.object).has('hook-failed') ? [failed] : []
  return [...failedToo, ...succeeded]
}
