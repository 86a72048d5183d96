import { describeTimeout } from '../../../src/kube/status/index.js'

const waiting = { state: 'InProgress' as const, message: '0 of 2 updated replicas available' }

it('names namespaces only when namespaced resources span several; cluster-scoped ones do not count', () => {
  const deployment = { kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } }
  const namespace = { kind: 'Namespace', metadata: { name: 'shop' } }
  expect(
    describeTimeout([
      { object: namespace, readiness: { state: 'Current', message: 'applied' } },
      { object: deployment, readiness: waiting }
    ])
  ).toEqual(['Deployment/web: 0 of 2 updated replicas available'])
  const other = { kind: 'Deployment', metadata: { name: 'api', namespace: 'other' } }
  expect(
    describeTimeout([
      { object: deployment, readiness: waiting },
      { object: other, readiness: waiting }
    ])
  ).toEqual([
    'Deployment/web in shop: 0 of 2 updated replicas available',
    'Deployment/api in other: 0 of 2 updated replicas available'
  ])
})

it('still gives a line for an object that lacks its kind or name', () => {
  expect(describeTimeout([{ object: { metadata: {} }, readiness: waiting }])).toEqual([
    'Object/?: 0 of 2 updated replicas available'
  ])
})
