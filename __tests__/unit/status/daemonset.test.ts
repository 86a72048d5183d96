import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import { daemonSetReadiness } from '../../../src/kube/status/daemonset.js'
import { replicaSetReadiness } from '../../../src/kube/status/replicaset.js'
import type { ReadinessContext } from '../../../src/kube/status/types.js'
import {
  crashLooping,
  daemonPod,
  daemonSet,
  deployment,
  pod,
  podOf,
  replicaSetOf,
  waiting
} from '../../fixtures/status/builders.js'

const context = (pods: V1Pod[] = []): ReadinessContext => ({
  pods,
  replicaSets: [],
  waitForLoadBalancer: false
})

describe('DaemonSet', () => {
  it('is Current when every scheduled pod is updated and available', () => {
    expect(daemonSetReadiness(daemonSet({}), context())).toEqual({
      state: 'Current',
      message: '3 of 3 pods available'
    })
  })

  it('waits for the controller to observe the new generation', () => {
    const ds = daemonSet({ generation: 2, observedGeneration: 1 })
    expect(daemonSetReadiness(ds, context()).message).toBe(
      'waiting for the controller to observe generation 2'
    )
  })

  it('is in progress while pods are not updated, then while updated ones are not available', () => {
    const ds = daemonSet({ generation: 2, updated: 1, available: 2 })
    const pods = [
      daemonPod(ds, 'a', 1),
      daemonPod(ds, 'b', 1),
      daemonPod(ds, 'c', 2, { containers: [waiting('agent', 'ContainerCreating')] })
    ]
    expect(daemonSetReadiness(ds, context(pods)).message).toBe(
      '1 of 3 pods updated; pod node-agent-c: not ready (container agent: ContainerCreating)'
    )
    const updating = daemonSet({ generation: 2, available: 2 })
    expect(daemonSetReadiness(updating, context()).message).toBe('2 of 3 updated pods available')
  })

  it('fails on a crash loop in a pod of the new template generation only', () => {
    const ds = daemonSet({ generation: 2, updated: 1, available: 2 })
    const newCrash = [daemonPod(ds, 'a', 1), daemonPod(ds, 'c', 2, { containers: [crashLooping('agent')] })]
    expect(daemonSetReadiness(ds, context(newCrash)).failure?.code).toBe('CrashLoop')
    const oldCrash = [daemonPod(ds, 'a', 1, { containers: [crashLooping('agent')] }), daemonPod(ds, 'c', 2)]
    expect(daemonSetReadiness(ds, context(oldCrash)).state).toBe('InProgress')
  })

  it('tells revisions apart by template generation, which lags generation after non-template changes', () => {
    // Generation 3 only changed minReadySeconds: pods of template generation 2 are the newest.
    const ds = daemonSet({ generation: 3, templateGeneration: 2, available: 2 })
    const pods = [daemonPod(ds, 'c', 2, { containers: [crashLooping('agent')] })]
    expect(daemonSetReadiness(ds, context(pods)).failure?.pod).toBe('node-agent-c')
  })

  it('names a pod of the old template generation still terminating, once the new ones are fine', () => {
    // maxUnavailable: the old pod on a node goes first, its replacement comes after.
    const ds = daemonSet({ generation: 2, updated: 2, available: 2 })
    const pods = [
      daemonPod(ds, 'a', 2),
      daemonPod(ds, 'b', 2),
      daemonPod(ds, 'c', 1, { deleting: true, ready: false })
    ]
    expect(daemonSetReadiness(ds, context(pods))).toEqual({
      state: 'InProgress',
      message: '2 of 3 pods updated; old revision pod node-agent-c: terminating'
    })
  })

  it('is Current with no node to run on', () => {
    expect(daemonSetReadiness(daemonSet({ desired: 0 }), context()).message).toBe(
      'no node to run on (0 pods desired)'
    )
  })
})

describe('ReplicaSet', () => {
  const rs = replicaSetOf(deployment(), '7d9c6b5f4', '1', 3)

  it('is Current when every replica is ready and available', () => {
    expect(replicaSetReadiness(rs, context())).toEqual({
      state: 'Current',
      message: '3 of 3 replicas available'
    })
  })

  it('is in progress with fewer ready replicas and fails on its own doomed pod', () => {
    const starting = { ...rs, status: { ...rs.status!, readyReplicas: 2, availableReplicas: 2 } }
    expect(replicaSetReadiness(starting, context()).message).toBe('2 of 3 replicas ready')
    const pods = [podOf(rs, 'x2k8p', { containers: [waiting('web', 'ImagePullBackOff')] })]
    expect(replicaSetReadiness(starting, context(pods)).failure?.code).toBe('ImagePull')
  })

  it('is Current scaled to zero', () => {
    expect(replicaSetReadiness(replicaSetOf(deployment(), '7d9c6b5f4', '1', 0), context())).toEqual({
      state: 'Current',
      message: 'scaled to 0 replicas'
    })
  })

  it('shows why it cannot create pods while it waits, and fails when nothing will let it', () => {
    const quota = 'pods "web-7d9c6b5f4-x" is forbidden: exceeded quota: compute, requested: cpu=500m'
    const blocked: V1ReplicaSet = {
      ...rs,
      status: {
        ...rs.status!,
        readyReplicas: 2,
        availableReplicas: 2,
        conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: quota }]
      }
    }
    // A pod of the namespace terminating gives its share of the quota back: wait, saying why.
    const terminating = pod('batch-1', { deleting: true })
    expect(replicaSetReadiness(blocked, context([terminating]))).toEqual({
      state: 'InProgress',
      message: `2 of 3 replicas ready (FailedCreate: ${quota})`
    })
    expect(replicaSetReadiness(blocked, context()).failure).toEqual({
      code: 'AdmissionDenied',
      reason: `pods are refused: ${quota}`
    })
    const cleared = {
      ...blocked,
      status: { ...blocked.status!, conditions: [{ type: 'ReplicaFailure', status: 'False' }] }
    }
    expect(replicaSetReadiness(cleared, context()).message).toBe('2 of 3 replicas ready')
  })
})
