import { classifyChange, jsonEqual } from '../../src/kube/change.js'

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
