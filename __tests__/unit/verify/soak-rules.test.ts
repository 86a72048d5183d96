import type { V1Pod } from '@kubernetes/client-node'
import { soakBaseline, soakedPods, soakProblem } from '../../../src/verify/soak-rules.js'

function pod(
  name: string,
  options: {
    owner?: string
    restarts?: number
    ready?: boolean
    terminated?: { exitCode: number; reason?: string }
    lastTerminated?: { exitCode: number; reason?: string }
    evicted?: boolean
    deleting?: boolean
  } = {}
): V1Pod {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'rs',
          uid: options.owner ?? 'rs-new',
          controller: true
        }
      ],
      ...(options.deleting ? { deletionTimestamp: new Date() } : {})
    },
    status: {
      ...(options.evicted
        ? { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }
        : {}),
      conditions: [
        {
          type: 'Ready',
          status: options.ready === false ? 'False' : 'True',
          reason: options.ready === false ? 'ContainersNotReady' : undefined
        }
      ],
      containerStatuses: [
        {
          name: 'app',
          image: 'x',
          imageID: 'x',
          ready: options.ready !== false,
          restartCount: options.restarts ?? 0,
          state: options.terminated ? { terminated: options.terminated } : { running: {} },
          lastState: options.lastTerminated ? { terminated: options.lastTerminated } : {}
        }
      ]
    }
  } as V1Pod
}

describe('soak rules', () => {
  const baseline = soakBaseline([pod('a'), pod('b', { restarts: 2 })])

  it('steady pods, and pods of other revisions, are no problem', () => {
    expect(
      soakProblem(baseline, [
        pod('a'),
        pod('b', { restarts: 2 }),
        pod('old', { owner: 'rs-old', restarts: 9 })
      ])
    ).toBeUndefined()
    expect(
      soakedPods(baseline, [pod('a'), pod('old', { owner: 'rs-old' })]).map(p => p.metadata!.name)
    ).toEqual(['a'])
  })

  it('a restart since the soak began, with its exit code; restarts from before do not count', () => {
    expect(
      soakProblem(baseline, [pod('b', { restarts: 3, lastTerminated: { exitCode: 1, reason: 'Error' } })])
    ).toEqual({
      code: 'PodRestarted',
      pod: 'b',
      container: 'app',
      reason: 'container app of pod b restarted (exit code 1, Error)'
    })
  })

  it('a container that has stopped counts before the kubelet restarts it', () => {
    expect(
      soakProblem(baseline, [pod('a', { ready: false, terminated: { exitCode: 137, reason: 'Error' } })])
        ?.reason
    ).toBe('container app of pod a stopped (exit code 137, Error)')
  })

  it('an OOM kill is named as one', () => {
    const problem = soakProblem(baseline, [
      pod('a', { restarts: 1, lastTerminated: { exitCode: 137, reason: 'OOMKilled' } })
    ])
    expect(problem?.code).toBe('OOMKilled')
    expect(problem?.reason).toBe(
      'container app of pod a was killed for using more memory than its limit (exit code 137, OOMKilled)'
    )
  })

  it('readiness lost by a soaked pod; a replacement still starting is not judged on it', () => {
    expect(soakProblem(baseline, [pod('a', { ready: false })])).toEqual({
      code: 'ReadinessLost',
      pod: 'a',
      reason: 'pod a is no longer ready (ContainersNotReady)'
    })
    expect(soakProblem(baseline, [pod('c', { ready: false })])).toBeUndefined()
  })

  it('an eviction; a pod being deleted on purpose is left alone', () => {
    expect(soakProblem(baseline, [pod('a', { evicted: true })])?.reason).toBe(
      'pod a was evicted: The node was low on resource: memory.'
    )
    expect(soakProblem(baseline, [pod('a', { deleting: true, ready: false })])).toBeUndefined()
  })
})
