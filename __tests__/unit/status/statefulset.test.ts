import { statefulSetReadiness } from '../../../src/kube/status/statefulset.js'
import type { ReadinessContext } from '../../../src/kube/status/types.js'
import type { V1Pod } from '@kubernetes/client-node'
import { crashLooping, running, statefulPod, statefulSet, waiting } from '../../fixtures/status/builders.js'

const context = (pods: V1Pod[] = []): ReadinessContext => ({
  pods,
  replicaSets: [],
  waitForLoadBalancer: false
})
const OLD = 'db-6b8f9c7d4'
const NEW = 'db-84c5d7f9b6'

describe('StatefulSet', () => {
  it('is Current when every replica is ready at the update revision', () => {
    const db = statefulSet({})
    expect(statefulSetReadiness(db, context())).toEqual({
      state: 'Current',
      message: `3 of 3 replicas ready at revision ${OLD}`
    })
  })

  it('is in progress while scaling down, until the pods beyond spec.replicas are gone', () => {
    const db = statefulSet({ replicas: 2, existingReplicas: 3, readyReplicas: 3 })
    const readiness = statefulSetReadiness(db, context())
    expect(readiness.state).toBe('InProgress')
    expect(readiness.message).toContain('scaling down: 1 pod(s) beyond 2 replicas still exist')
    expect(statefulSetReadiness(statefulSet({ replicas: 2, readyReplicas: 2 }), context()).state).toBe(
      'Current'
    )
  })

  it('waits for the controller to observe the new generation', () => {
    const db = statefulSet({ generation: 3, observedGeneration: 2 })
    expect(statefulSetReadiness(db, context()).message).toBe(
      'waiting for the controller to observe generation 3'
    )
  })

  it('is in progress while replicas are not ready, naming a pod of the update revision', () => {
    const db = statefulSet({
      readyReplicas: 2,
      updatedReplicas: 1,
      currentRevision: OLD,
      updateRevision: NEW
    })
    const pods = [
      statefulPod(db, 0, OLD),
      statefulPod(db, 1, OLD),
      statefulPod(db, 2, NEW, { containers: [waiting('db', 'ContainerCreating')] })
    ]
    expect(statefulSetReadiness(db, context(pods))).toEqual({
      state: 'InProgress',
      message: '2 of 3 replicas ready; pod db-2: not ready (container db: ContainerCreating)'
    })
  })

  it('is in progress while the update revision differs from the current one', () => {
    const db = statefulSet({ updatedReplicas: 2, currentRevision: OLD, updateRevision: NEW })
    const readiness = statefulSetReadiness(db, context())
    expect(readiness.state).toBe('InProgress')
    expect(readiness.message).toBe(`rolling update: 2 of 3 replicas at revision ${NEW}`)
  })

  it('with a partition, is done once the replicas above it are updated, though revisions differ', () => {
    const partial = statefulSet({
      partition: 2,
      updatedReplicas: 0,
      currentRevision: OLD,
      updateRevision: NEW
    })
    expect(statefulSetReadiness(partial, context())).toEqual({
      state: 'InProgress',
      message: 'partitioned rollout: 0 of 1 replicas at or above ordinal 2 updated'
    })
    const done = statefulSet({ partition: 2, updatedReplicas: 1, currentRevision: OLD, updateRevision: NEW })
    expect(statefulSetReadiness(done, context())).toEqual({
      state: 'Current',
      message: 'partitioned rollout done: 1 of 3 replicas updated, partition 2'
    })
  })

  it('fails on a crash loop in a pod of the update revision', () => {
    const db = statefulSet({
      readyReplicas: 2,
      updatedReplicas: 1,
      currentRevision: OLD,
      updateRevision: NEW
    })
    const pods = [
      statefulPod(db, 0, OLD),
      statefulPod(db, 1, OLD),
      statefulPod(db, 2, NEW, { containers: [crashLooping('db')] })
    ]
    const readiness = statefulSetReadiness(db, context(pods))
    expect(readiness.state).toBe('Failed')
    expect(readiness.failure).toMatchObject({ code: 'CrashLoop', pod: 'db-2', container: 'db' })
  })

  it('does not fail on a crash-looping pod of the old revision, but names it', () => {
    const db = statefulSet({
      readyReplicas: 2,
      updatedReplicas: 1,
      currentRevision: OLD,
      updateRevision: NEW
    })
    const pods = [
      statefulPod(db, 0, OLD, { containers: [crashLooping('db')] }),
      statefulPod(db, 1, OLD),
      statefulPod(db, 2, NEW, { containers: [running('db')] })
    ]
    expect(statefulSetReadiness(db, context(pods))).toEqual({
      state: 'InProgress',
      message: '2 of 3 replicas ready; old revision pod db-0: not ready (container db: CrashLoopBackOff)'
    })
  })

  it('is Current once observed when the update strategy is OnDelete', () => {
    const db = statefulSet({
      strategy: 'OnDelete',
      updatedReplicas: 0,
      currentRevision: OLD,
      updateRevision: NEW
    })
    expect(statefulSetReadiness(db, context())).toEqual({
      state: 'Current',
      message: 'update strategy OnDelete: pods take the new revision when deleted'
    })
  })
})
