import type { V1Pod } from '@kubernetes/client-node'
import {
  judgeUnschedulable,
  parseQuantity,
  podRequests,
  type SchedulingFacts
} from '../../../src/kube/status/unschedulable.js'

const pod = (requests: Record<string, string>, init: Record<string, string> = {}): V1Pod => ({
  metadata: { name: 'web-1' },
  spec: {
    containers: [{ name: 'web', resources: { requests } }],
    initContainers: Object.keys(init).length ? [{ name: 'init', resources: { requests: init } }] : []
  }
})

const NOW = 1_000_000
const facts = (extra: Partial<SchedulingFacts> = {}): SchedulingFacts => ({
  now: NOW,
  graceMs: 30_000,
  autoscalerEvents: new Map(),
  nodes: [{ name: 'n1', allocatable: { cpu: '2', memory: '8Gi', pods: '110' } }],
  terminatingPods: 0,
  unschedulableSince: new Map([['web-1', NOW - 1000]]),
  ...extra
})

describe('quantities', () => {
  it.each([
    ['500m', 0.5],
    ['2', 2],
    ['1.5', 1.5],
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1G', 1e9],
    ['2e3', 2000],
    ['100k', 100_000],
    ['12.5', 12.5],
    ['.25', 0.25],
    ['+1', 1],
    ['-1', -1],
    ['1e+3', 1000],
    ['1e12', 1e12],
    [' 2Gi ', 2 * 2 ** 30]
  ])('%s is %d', (text, value) => expect(parseQuantity(text)).toBeCloseTo(value))

  it('rejects what is not a quantity', () => {
    expect(parseQuantity('lots')).toBeUndefined()
    expect(parseQuantity('x500m')).toBeUndefined()
    expect(parseQuantity('500mx')).toBeUndefined()
    expect(parseQuantity(undefined)).toBeUndefined()
  })

  it("sums containers' requests, and takes the largest init container when it is larger", () => {
    expect(podRequests(pod({ cpu: '500m' }, { cpu: '3' })).get('cpu')).toBe(3)
    expect(podRequests(pod({ cpu: '500m' }, { cpu: '100m' })).get('cpu')).toBe(0.5)
  })
})

describe('an Unschedulable pod', () => {
  it('waits within the grace period, saying for what', () => {
    const verdict = judgeUnschedulable(pod({ cpu: '1' }), facts())
    expect(verdict).toMatchObject({ doomed: false })
    expect(verdict.doomed === false && verdict.waitingFor).toContain('up to 30.0s')
  })

  it('fails once the grace period passed with nothing making room', () => {
    const verdict = judgeUnschedulable(
      pod({ cpu: '1' }),
      facts({ unschedulableSince: new Map([['web-1', NOW - 31_000]]) })
    )
    expect(verdict).toMatchObject({ doomed: true })
    expect(verdict.doomed && verdict.reason).toContain('stayed unschedulable for 31.0s')
  })

  it('fails at once when it requests more than any node can offer', () => {
    const verdict = judgeUnschedulable(pod({ cpu: '3' }), facts())
    expect(verdict.doomed && verdict.reason).toContain(
      'more than any node can offer (largest allocatable: 2)'
    )
    // A cordoned node does not count.
    const cordoned = facts({
      nodes: [
        { name: 'big', allocatable: { cpu: '64' }, unschedulable: true },
        { name: 'n1', allocatable: { cpu: '2' } }
      ]
    })
    expect(judgeUnschedulable(pod({ cpu: '3' }), cordoned).doomed).toBe(true)
  })

  it('fails once unschedulable for exactly the grace period', () => {
    const verdict = judgeUnschedulable(
      pod({ cpu: '1' }),
      facts({ unschedulableSince: new Map([['web-1', NOW - 30_000]]) })
    )
    expect(verdict).toMatchObject({ doomed: true })
  })

  it('compares with the largest node, and fits on a node exactly its size', () => {
    const nodes = [
      { name: 'small', allocatable: { cpu: '2' } },
      { name: 'large', allocatable: { cpu: '8' } },
      { name: 'medium', allocatable: { cpu: '4' } }
    ]
    expect(judgeUnschedulable(pod({ cpu: '4' }), facts({ nodes })).doomed).toBe(false)
    expect(judgeUnschedulable(pod({ cpu: '8' }), facts({ nodes })).doomed).toBe(false)
    const verdict = judgeUnschedulable(pod({ cpu: '9' }), facts({ nodes }))
    expect(verdict.doomed && verdict.reason).toBe(
      'it requests cpu 9, more than any node can offer (largest allocatable: 8)'
    )
  })

  it("quotes the containers' requests as written", () => {
    const twoContainers: V1Pod = {
      metadata: { name: 'web-1' },
      spec: {
        containers: [
          { name: 'web', resources: { requests: { cpu: '1' } } },
          { name: 'log', resources: { requests: { memory: '64Mi' } } },
          { name: 'proxy', resources: { requests: { cpu: '2500m' } } }
        ]
      }
    }
    const verdict = judgeUnschedulable(twoContainers, facts())
    expect(verdict.doomed && verdict.reason).toBe(
      'it requests cpu 1+2500m, more than any node can offer (largest allocatable: 2)'
    )
  })

  it('gives the number when only an init container asks for that much', () => {
    const verdict = judgeUnschedulable(pod({ memory: '1Gi' }, { cpu: '4' }), facts())
    expect(verdict.doomed && verdict.reason).toBe(
      'it requests cpu 4, more than any node can offer (largest allocatable: 2)'
    )
  })

  it('fails at once when no node has the resource at all', () => {
    const verdict = judgeUnschedulable(pod({ 'nvidia.com/gpu': '1' }), facts())
    expect(verdict.doomed && verdict.reason).toBe(
      'it requests nvidia.com/gpu 1, more than any node can offer (largest allocatable: none)'
    )
  })

  it('waits by the grace period when every node is cordoned', () => {
    const nodes = [{ name: 'n1', allocatable: { cpu: '2' }, unschedulable: true }]
    expect(judgeUnschedulable(pod({ cpu: '1' }), facts({ nodes })).doomed).toBe(false)
  })

  it('without node data, is judged by the grace period only', () => {
    expect(judgeUnschedulable(pod({ cpu: '3000' }), facts({ nodes: undefined })).doomed).toBe(false)
  })

  it('waits while an autoscaler adds a node, even for a pod larger than every node today', () => {
    const events = new Map([
      ['web-1', { reason: 'TriggeredScaleUp', message: 'pod triggered scale-up: [{pool 1->2}]' }]
    ])
    const verdict = judgeUnschedulable(
      pod({ cpu: '3' }),
      facts({ autoscalerEvents: events, unschedulableSince: new Map([['web-1', NOW - 120_000]]) })
    )
    expect(verdict).toMatchObject({ doomed: false })
    expect(verdict.doomed === false && verdict.waitingFor).toBe(
      'an autoscaler is adding a node (TriggeredScaleUp: pod triggered scale-up: [{pool 1->2}])'
    )
  })

  it('names the autoscaler event when it has no message', () => {
    const events = new Map([['web-1', { reason: 'Nominated' }]])
    const verdict = judgeUnschedulable(pod({ cpu: '1' }), facts({ autoscalerEvents: events }))
    expect(verdict.doomed === false && verdict.waitingFor).toBe('an autoscaler is adding a node (Nominated)')
    const empty = new Map([['web-1', { reason: 'Nominated', message: '' }]])
    const withEmpty = judgeUnschedulable(pod({ cpu: '1' }), facts({ autoscalerEvents: empty }))
    expect(withEmpty.doomed === false && withEmpty.waitingFor).toBe(
      'an autoscaler is adding a node (Nominated)'
    )
  })

  it('fails at once when the cluster autoscaler says it will not help', () => {
    const events = new Map([
      [
        'web-1',
        { reason: 'NotTriggerScaleUp', message: "pod didn't trigger scale-up: 1 max node group size reached" }
      ]
    ])
    const verdict = judgeUnschedulable(pod({ cpu: '1' }), facts({ autoscalerEvents: events }))
    expect(verdict.doomed && verdict.reason).toContain('max node group size reached')
  })

  it('waits while pods of the namespace terminate, past the grace period', () => {
    const verdict = judgeUnschedulable(
      pod({ cpu: '1' }),
      facts({ terminatingPods: 2, unschedulableSince: new Map([['web-1', NOW - 60_000]]) })
    )
    expect(verdict.doomed === false && verdict.waitingFor).toContain(
      '2 pod(s) of the namespace to finish terminating'
    )
  })
})
