// Helm hooks as a stage runs them: which run after the rollout, in what order, what their delete policies remove, what is left out.
import {
  checkDeletePolicies,
  deletePolicies,
  describeLeftOut,
  hookOrder,
  hooksToDelete,
  hookWeight,
  isPostDeployHook,
  leaveOutHooks,
  replacesHook
} from '../../src/manifests/hooks.js'
import { mustReplace } from '../../src/manifests/pre-deploy.js'
import type { KubeObject, LoadedManifest } from '../../src/manifests/types.js'

const hook = (name: string, annotations: Record<string, string>, kind = 'Job'): KubeObject => ({
  apiVersion: kind === 'Job' ? 'batch/v1' : 'v1',
  kind,
  metadata: { name, annotations }
})
const post = (name: string, extra: Record<string, string> = {}, kind = 'Job') =>
  hook(name, { 'helm.sh/hook': 'post-install,post-upgrade', ...extra }, kind)
const manifest = (object: KubeObject): LoadedManifest => ({
  object,
  source: { file: 'chart/t.yaml', line: 1 }
})

describe('isPostDeployHook', () => {
  it('is a post-install or post-upgrade hook of any kind but Pod, unless it is also a pre-deploy Job', () => {
    expect(isPostDeployHook(post('notify'))).toBe(true)
    expect(isPostDeployHook(hook('n', { 'helm.sh/hook': ' Post-Upgrade ' }))).toBe(true)
    expect(isPostDeployHook(post('sa', {}, 'ServiceAccount'))).toBe(true)
    expect(isPostDeployHook(post('p', {}, 'Pod'))).toBe(false)
    expect(isPostDeployHook(hook('m', { 'helm.sh/hook': 'pre-install,post-install' }))).toBe(false)
    expect(isPostDeployHook(hook('c', { 'helm.sh/hook': 'post-delete' }))).toBe(false)
    expect(isPostDeployHook(hook('plain', {}))).toBe(false)
  })
})

describe('hookOrder', () => {
  it('orders by weight (integers, anything else 0), then name, then kind in install order, as Helm does', () => {
    const objects = [
      post('b-job', { 'helm.sh/hook-weight': '5' }),
      post('a-job', { 'helm.sh/hook-weight': '5' }),
      post('first', { 'helm.sh/hook-weight': '-3' }),
      post('zero', { 'helm.sh/hook-weight': 'heavy' }),
      post('same', { 'helm.sh/hook-weight': '1' }),
      post('same', { 'helm.sh/hook-weight': '1' }, 'ServiceAccount')
    ]
    expect(
      hookOrder(objects.map(object => ({ object }))).map(h => `${h.object.kind}/${h.object.metadata.name}`)
    ).toEqual(['Job/first', 'Job/zero', 'ServiceAccount/same', 'Job/same', 'Job/a-job', 'Job/b-job'])
    expect(hookWeight(post('x', { 'helm.sh/hook-weight': ' +7 ' }))).toBe(7)
    expect(hookWeight(post('x', { 'helm.sh/hook-weight': '1.5' }))).toBe(0)
  })
})

describe('delete policies', () => {
  it('defaults to before-hook-creation, as Helm 3 does, and reads a list in any case', () => {
    expect([...deletePolicies(post('a'))]).toEqual(['before-hook-creation'])
    expect([
      ...deletePolicies(post('a', { 'helm.sh/hook-delete-policy': 'Hook-Succeeded, hook-failed' }))
    ]).toEqual(['hook-succeeded', 'hook-failed'])
  })

  it('refuses an unknown policy of a post-deploy hook, naming it', () => {
    const bad = manifest(post('a', { 'helm.sh/hook-delete-policy': 'hook-succeeded,on-success' }))
    expect(
      checkDeletePolicies([bad, manifest(post('b', { 'helm.sh/hook-delete-policy': 'hook-failed' }))])
    ).toEqual([
      {
        location: { file: 'chart/t.yaml', line: 1 },
        message:
          'Job/a: helm.sh/hook-delete-policy "on-success" is not one of before-hook-creation, hook-succeeded, hook-failed'
      }
    ])
  })

  it('replaces a live hook Job with before-hook-creation every time; without it, only when changed or failed', () => {
    const always = post('a')
    const kept = post('b', { 'helm.sh/hook-delete-policy': 'hook-failed' })
    expect(replacesHook(always, true, false)).toBe(true)
    expect(replacesHook(kept, true, false)).toBe(false)
    expect(replacesHook(kept, false, false)).toBe(true)
    expect(replacesHook(kept, true, true)).toBe(true)
    // Not Jobs: updated in place by server-side apply, which leaves the same object.
    expect(replacesHook(post('sa', {}, 'ServiceAccount'), true, false)).toBe(false)
    // mustReplace (what preflight plans) says the same.
    expect(mustReplace(always, { ...always, status: {} }, true)).toBe(true)
    expect(
      mustReplace(kept, { ...kept, status: { conditions: [{ type: 'Complete', status: 'True' }] } }, true)
    ).toBe(false)
  })

  it('after success deletes the hook-succeeded ones, last first; after a failure, the failed one if hook-failed and those that succeeded before it', () => {
    const sa = { object: post('sa', { 'helm.sh/hook-delete-policy': 'hook-succeeded' }, 'ServiceAccount') }
    const warm = { object: post('warm', { 'helm.sh/hook-delete-policy': 'hook-succeeded,hook-failed' }) }
    const keep = { object: post('keep') }
    const names = (hooks: { object: KubeObject }[]) => hooks.map(h => h.object.metadata.name)
    expect(names(hooksToDelete([sa, keep, warm], undefined))).toEqual(['warm', 'sa'])
    expect(names(hooksToDelete([sa, keep, warm], warm))).toEqual(['warm', 'sa'])
    expect(names(hooksToDelete([sa, keep], keep))).toEqual(['sa'])
  })
})

describe('leaveOutHooks', () => {
  it('leaves out delete, rollback and test hooks, saying why; keeps an object that is also an install hook', () => {
    const cleanup = manifest(hook('cleanup', { 'helm.sh/hook': 'post-delete' }))
    const undo = manifest(hook('undo', { 'helm.sh/hook': 'pre-rollback,post-rollback' }))
    const test = manifest(hook('smoke', { 'helm.sh/hook': 'test' }, 'Pod'))
    const both = manifest(hook('both', { 'helm.sh/hook': 'post-install,pre-delete' }))
    const plain = manifest(hook('plain', {}))
    const { kept, leftOut } = leaveOutHooks([cleanup, undo, test, both, plain])
    expect(kept).toEqual([both, plain])
    expect(leftOut.map(l => [l.manifest.object.metadata.name, l.test])).toEqual([
      ['cleanup', false],
      ['undo', false],
      ['smoke', true]
    ])
    expect(describeLeftOut(leftOut[1])).toBe(
      'Job/undo is a Helm pre-rollback, post-rollback hook: left out. A stage never uninstalls a release and rolls back by itself, so it has no moment to run it; it is not applied as an ordinary object either, which would run it on every deploy.'
    )
    expect(describeLeftOut(leftOut[2])).toContain("left out (the stage's smoke checks take its place)")
  })
})
