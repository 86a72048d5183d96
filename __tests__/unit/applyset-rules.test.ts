import {
  APPLYSET_ID_LABEL,
  APPLYSET_PART_OF_LABEL,
  applySetConflict,
  applySetId,
  contentsOf,
  formatList,
  groupKindOf,
  labelMembers,
  parentManifest,
  parentRef,
  parseGroupKind,
  parseList,
  pruneCandidates,
  pruneOrder,
  readParent,
  sameContents,
  toolingName,
  toolingValue,
  union
} from '../../src/kube/applyset-rules.js'
import type { KubeObject } from '../../src/manifests/types.js'

const obj = (
  apiVersion: string,
  kind: string,
  name: string,
  metadata: Partial<KubeObject['metadata']> = {}
) => ({ apiVersion, kind, metadata: { name, namespace: 'shop-dev', ...metadata } }) as KubeObject

const parent = parentRef('dev', 'shop-dev')
const id = applySetId(parent)

describe('the ApplySet id', () => {
  it("is kubectl's for the same parent (kubectl's apply_test.go: Secret my-set in namespace test)", () => {
    expect(applySetId({ name: 'my-set', namespace: 'test', kind: 'Secret', group: '' })).toBe(
      'applyset-0eFHV8ySqp7XoShsGvyWFQD3s96yqwHmzc4e0HR1dsY-v1'
    )
  })

  it('differs with each part of the parent, and is a valid label value', () => {
    const ids = new Set([
      applySetId({ name: 'my-set', namespace: 'test', kind: 'Secret', group: '' }),
      applySetId({ name: 'my-set', namespace: 'test2', kind: 'Secret', group: '' }),
      applySetId({ name: 'my-set2', namespace: 'test', kind: 'Secret', group: '' }),
      id
    ])
    expect(ids.size).toBe(4)
    for (const value of ids) {
      expect(value.length).toBeLessThanOrEqual(63)
      expect(value).toMatch(/^applyset-[A-Za-z0-9_-]{43}-v1$/)
    }
  })

  it('names the parent for the environment, in the stage namespace', () => {
    expect(parent).toEqual({ name: 'kube-stage-dev', namespace: 'shop-dev', kind: 'Secret', group: '' })
  })
})

describe('tooling', () => {
  it('is kube-stage/v<version>', () => {
    expect(toolingValue('0.1.0')).toBe('kube-stage/v0.1.0')
    expect(toolingValue('v1.2.3')).toBe('kube-stage/v1.2.3')
  })

  it('names the tool before the last slash, as kubectl reads it', () => {
    expect(toolingName('kubectl/v1.27.0')).toBe('kubectl')
    expect(toolingName('kube-stage/v0.1.0')).toBe('kube-stage')
    expect(toolingName('example.com/tool/v1')).toBe('example.com/tool')
    expect(toolingName('helm')).toBe('helm')
  })
})

describe('group-kinds', () => {
  it('are Kind for the core group and Kind.group otherwise', () => {
    expect(groupKindOf({ apiVersion: 'v1', kind: 'ConfigMap' })).toBe('ConfigMap')
    expect(groupKindOf({ apiVersion: 'apps/v1', kind: 'Deployment' })).toBe('Deployment.apps')
    expect(groupKindOf({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' })).toBe(
      'Ingress.networking.k8s.io'
    )
  })

  it('parse back, the group being everything after the first dot', () => {
    expect(parseGroupKind('Ingress.networking.k8s.io')).toEqual({
      kind: 'Ingress',
      group: 'networking.k8s.io'
    })
    expect(parseGroupKind('Secret')).toEqual({ kind: 'Secret', group: '' })
  })

  it("are written sorted and comma-separated, as in kubectl's own example", () => {
    expect(formatList(['Secret', 'Namespace', 'Deployment.apps', 'Secret'])).toBe(
      'Deployment.apps,Namespace,Secret'
    )
    expect(parseList('Deployment.apps, Secret,')).toEqual(['Deployment.apps', 'Secret'])
    expect(parseList('')).toEqual([])
    expect(parseList(undefined)).toEqual([])
  })

  it('of members, with the namespaces other than the parent one', () => {
    const members = [
      obj('apps/v1', 'Deployment', 'web'),
      obj('v1', 'ConfigMap', 'a'),
      obj('v1', 'ConfigMap', 'b', { namespace: 'shared' })
    ]
    expect(contentsOf(members, parent)).toEqual({
      groupKinds: ['ConfigMap', 'Deployment.apps'],
      namespaces: ['shared']
    })
  })

  it('widen to the union of old and new, and compare whatever their order', () => {
    const old = { groupKinds: ['Service', 'ConfigMap'], namespaces: ['a'] }
    const now = { groupKinds: ['Deployment.apps', 'ConfigMap'], namespaces: [] }
    expect(union(old, now)).toEqual({
      groupKinds: ['ConfigMap', 'Deployment.apps', 'Service'],
      namespaces: ['a']
    })
    expect(sameContents(old, { groupKinds: ['ConfigMap', 'Service'], namespaces: ['a'] })).toBe(true)
    expect(sameContents(old, union(old, now))).toBe(false)
    expect(sameContents(old, { groupKinds: ['ConfigMap', 'Service'], namespaces: [] })).toBe(false)
  })
})

describe('the parent', () => {
  it('carries the id label, the tooling and the kinds; other namespaces only when there are any', () => {
    expect(
      parentManifest(parent, '0.1.0', { groupKinds: ['Deployment.apps', 'ConfigMap'], namespaces: [] })
    ).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'kube-stage-dev',
        namespace: 'shop-dev',
        labels: { [APPLYSET_ID_LABEL]: id },
        annotations: {
          'applyset.kubernetes.io/tooling': 'kube-stage/v0.1.0',
          'applyset.kubernetes.io/contains-group-kinds': 'ConfigMap,Deployment.apps'
        }
      }
    })
    const wider = parentManifest(parent, '0.1.0', { groupKinds: [], namespaces: ['shop-dev', 'b', 'a'] })
    expect(wider.metadata.annotations).toEqual({
      'applyset.kubernetes.io/tooling': 'kube-stage/v0.1.0',
      'applyset.kubernetes.io/contains-group-kinds': '',
      'applyset.kubernetes.io/additional-namespaces': 'a,b'
    })
  })

  const live = (labels: Record<string, string>, annotations: Record<string, string>) => ({
    metadata: { name: 'kube-stage-dev', namespace: 'shop-dev', labels, annotations }
  })

  it('is read back when it is kube-stage’s, of any version', () => {
    const read = readParent(
      parent,
      live(
        { [APPLYSET_ID_LABEL]: id },
        {
          'applyset.kubernetes.io/tooling': 'kube-stage/v9.0.0',
          'applyset.kubernetes.io/contains-group-kinds': 'Secret,ConfigMap',
          'applyset.kubernetes.io/additional-namespaces': 'shop-dev,other'
        }
      )
    )
    expect(read).toEqual({
      ok: true,
      contents: { groupKinds: ['ConfigMap', 'Secret'], namespaces: ['other'] }
    })
    const empty = readParent(
      parent,
      live({ [APPLYSET_ID_LABEL]: id }, { 'applyset.kubernetes.io/tooling': 'kube-stage/v0.1.0' })
    )
    expect(empty).toEqual({ ok: true, contents: { groupKinds: [], namespaces: [] } })
  })

  it("is refused when it is another tool's, not a parent at all, or another set's", () => {
    const kubectls = readParent(
      parent,
      live(
        { [APPLYSET_ID_LABEL]: id },
        {
          'applyset.kubernetes.io/tooling': 'kubectl/v1.34.4',
          'applyset.kubernetes.io/contains-group-kinds': 'ConfigMap'
        }
      )
    )
    expect(kubectls).toEqual({
      ok: false,
      reason: expect.stringContaining('another tool ("kubectl/v1.34.4")')
    })
    expect(readParent(parent, live({}, {}))).toEqual({
      ok: false,
      reason: expect.stringContaining('not an ApplySet parent')
    })
    expect(readParent(parent, { metadata: { name: 'kube-stage-dev' } })).toMatchObject({ ok: false })
    const tooling = { 'applyset.kubernetes.io/tooling': 'kube-stage/v0.1.0' }
    expect(readParent(parent, live({}, tooling))).toEqual({
      ok: false,
      reason: expect.stringContaining('has no')
    })
    expect(readParent(parent, live({ [APPLYSET_ID_LABEL]: 'applyset-x-v1' }, tooling))).toEqual({
      ok: false,
      reason: expect.stringContaining(`has another ${APPLYSET_ID_LABEL} label (expected ${id})`)
    })
  })

  it('refusals are ApplySetConflict, saying nothing was applied', () => {
    const error = applySetConflict('Secret shop-dev/kube-stage-dev is the ApplySet of another tool')
    expect(error.code).toBe('ApplySetConflict')
    expect(error.message).toContain('nothing was applied')
  })
})

describe('members', () => {
  it('are the namespaced objects, labelled part-of the set; other labels kept, the input untouched', () => {
    const input = [
      obj('apps/v1', 'Deployment', 'web', { labels: { app: 'web' } }),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'reader' }
      } as KubeObject
    ]
    const labelled = labelMembers(input, parent)
    expect(labelled[0].metadata.labels).toEqual({ app: 'web', [APPLYSET_PART_OF_LABEL]: id })
    expect(labelled[1]).toBe(input[1])
    expect(input[0].metadata.labels).toEqual({ app: 'web' })
  })

  it('may not set the part-of label themselves, nor be the parent', () => {
    expect(() =>
      labelMembers([obj('v1', 'ConfigMap', 'a', { labels: { [APPLYSET_PART_OF_LABEL]: 'x' } })], parent)
    ).toThrow(
      expect.objectContaining({
        code: 'InvalidManifest',
        message: expect.stringContaining('ConfigMap/a: sets the label')
      })
    )
    expect(() => labelMembers([obj('v1', 'Secret', 'kube-stage-dev')], parent)).toThrow(
      expect.objectContaining({
        code: 'InvalidManifest',
        message: expect.stringContaining('ApplySet parent')
      })
    )
    // The same name for another kind, or in another namespace, is not the parent.
    expect(labelMembers([obj('v1', 'ConfigMap', 'kube-stage-dev')], parent)).toHaveLength(1)
    expect(
      labelMembers([obj('v1', 'Secret', 'kube-stage-dev', { namespace: 'other' })], parent)
    ).toHaveLength(1)
  })
})

describe('what prune deletes', () => {
  const member = (kind: string, name: string, extra: Partial<KubeObject['metadata']> = {}) =>
    obj(kind === 'Deployment' ? 'apps/v1' : 'v1', kind, name, {
      labels: { [APPLYSET_PART_OF_LABEL]: id },
      ...extra
    })

  it('is every member the manifests no longer have, and nothing else', () => {
    const keep = new Set(['apps/Deployment/shop-dev/web', '/ConfigMap/shop-dev/current'])
    const live = [
      member('Deployment', 'web'),
      member('ConfigMap', 'current'),
      member('ConfigMap', 'renamed-away'),
      member('Deployment', 'removed')
    ]
    expect(pruneCandidates(live, id, keep).map(o => o.metadata.name)).toEqual(['renamed-away', 'removed'])
  })

  it('never an object not labelled as a member of this very set', () => {
    const live = [
      obj('v1', 'ConfigMap', 'unlabelled'),
      obj('v1', 'ConfigMap', 'other-set', {
        labels: { [APPLYSET_PART_OF_LABEL]: applySetId(parentRef('staging', 'shop-dev')) }
      }),
      obj('v1', 'ConfigMap', 'other-label', { labels: { app: id } })
    ]
    expect(pruneCandidates(live, id, new Set())).toEqual([])
  })

  it('never what a controller owns, nor a parent; an object with a non-controller owner is still a member', () => {
    const live = [
      member('ConfigMap', 'owned', {
        ownerReferences: [{ kind: 'Deployment', name: 'x', controller: true }]
      }),
      member('Secret', 'a-parent', {
        labels: { [APPLYSET_PART_OF_LABEL]: id, [APPLYSET_ID_LABEL]: 'applyset-y-v1' }
      }),
      member('ConfigMap', 'referenced', { ownerReferences: [{ kind: 'Foo', name: 'x' }] })
    ]
    expect(pruneCandidates(live, id, new Set()).map(o => o.metadata.name)).toEqual(['referenced'])
  })

  it('an object in the manifests under another version of its group is kept', () => {
    const live = [{ ...member('Deployment', 'web'), apiVersion: 'apps/v1beta2' }]
    expect(pruneCandidates(live, id, new Set(['apps/Deployment/shop-dev/web']))).toEqual([])
  })

  it('goes in reverse dependency order: workloads, then Services and configuration, then identities', () => {
    const order = pruneOrder([
      { kind: 'ConfigMap' },
      { kind: 'ServiceAccount' },
      { kind: 'Deployment' },
      { kind: 'Service' },
      { kind: 'Widget' },
      { kind: 'Job' }
    ])
    expect(order.map(tier => tier.map(o => o.kind))).toEqual([
      ['Widget'],
      ['Deployment', 'Job'],
      ['ConfigMap', 'Service'],
      ['ServiceAccount']
    ])
  })
})
