import { appliedHash, classifyChange, jsonEqual, unchangedSinceApplied } from '../../src/kube/change.js'

const live = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'cfg',
    resourceVersion: '10',
    annotations: { 'kube-stage.dev/commit': 'aaa', team: 'shop' },
    managedFields: [{ manager: 'kube-stage', operation: 'Apply' }]
  },
  data: { FLAG: 'on' }
}

describe('classifyChange', () => {
  it('is created when nothing is live', () => {
    expect(classifyChange(live, undefined, 'kube-stage', [])).toBe('created')
  })

  it('ignores volatile annotations and server-managed metadata', () => {
    const preview = {
      ...live,
      metadata: {
        ...live.metadata,
        resourceVersion: '11',
        annotations: { 'kube-stage.dev/commit': 'bbb', team: 'shop' }
      }
    }
    expect(classifyChange(preview, live, 'kube-stage', ['kube-stage.dev/commit'])).toBe('unchanged')
    expect(classifyChange(preview, live, 'kube-stage', [])).toBe('configured')
  })

  it('is configured when data changes', () => {
    expect(classifyChange({ ...live, data: { FLAG: 'off' } }, live, 'kube-stage', [])).toBe('configured')
  })

  it('is configured while another manager owns the fields, even with equal values', () => {
    const foreign = {
      ...live,
      metadata: { ...live.metadata, managedFields: [{ manager: 'kubectl', operation: 'Update' }] }
    }
    expect(classifyChange(foreign, foreign, 'kube-stage', [])).toBe('configured')
  })
})

describe('jsonEqual', () => {
  it('ignores key order and undefined members but not array order', () => {
    expect(jsonEqual({ a: 1, b: [1, 2], c: undefined }, { b: [1, 2], a: 1 })).toBe(true)
    expect(jsonEqual({ b: [2, 1] }, { b: [1, 2] })).toBe(false)
    expect(jsonEqual({ a: null }, { a: {} })).toBe(false)
  })
})

describe('unchangedSinceApplied', () => {
  const desired = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', annotations: { 'kube-stage.dev/commit': 'x' } },
    data: { a: '1' }
  }
  const hash = appliedHash(desired, ['kube-stage.dev/commit'])
  const live = (entries: object[], annotated = hash) => ({
    ...desired,
    metadata: { name: 'c', annotations: { 'kube-stage.dev/applied-hash': annotated }, managedFields: entries }
  })

  it('ignores volatile annotations in the hash', () => {
    expect(
      appliedHash(
        { ...desired, metadata: { ...desired.metadata, annotations: { 'kube-stage.dev/commit': 'y' } } },
        ['kube-stage.dev/commit']
      )
    ).toBe(hash)
    expect(appliedHash({ ...desired, data: { a: '2' } }, ['kube-stage.dev/commit'])).not.toBe(hash)
  })

  it('is true only when the hash matches and no other manager wrote after ours', () => {
    const ours = { manager: 'kube-stage', operation: 'Apply', time: '2026-01-01T00:00:10Z' }
    expect(unchangedSinceApplied(hash, live([ours]), 'kube-stage')).toBe(true)
    expect(
      unchangedSinceApplied(
        hash,
        live([
          ours,
          {
            manager: 'kube-controller-manager',
            operation: 'Update',
            subresource: 'status',
            time: '2026-01-01T00:00:20Z'
          }
        ]),
        'kube-stage'
      )
    ).toBe(true)
    expect(
      unchangedSinceApplied(
        hash,
        live([ours, { manager: 'kubectl-edit', operation: 'Update', time: '2026-01-01T00:00:20Z' }]),
        'kube-stage'
      )
    ).toBe(false)
    expect(
      unchangedSinceApplied(
        hash,
        live([ours, { manager: 'kubectl-edit', operation: 'Update', time: '2026-01-01T00:00:10Z' }]),
        'kube-stage'
      )
    ).toBe(false)
    expect(unchangedSinceApplied(hash, live([ours], 'other'), 'kube-stage')).toBe(false)
    expect(unchangedSinceApplied(hash, undefined, 'kube-stage')).toBe(false)
  })
})
