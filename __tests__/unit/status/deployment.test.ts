import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import { deploymentReadiness } from '../../../src/kube/status/deployment.js'
import type { ReadinessContext } from '../../../src/kube/status/types.js'
import {
  crashLooping,
  deployment,
  podOf,
  progressDeadlineExceeded,
  replicaSetOf,
  running,
  waiting
} from '../../fixtures/status/builders.js'

const context = (pods: V1Pod[], replicaSets: V1ReplicaSet[]): ReadinessContext => ({
  pods,
  replicaSets,
  waitForLoadBalancer: false
})

describe('Deployment: first rollout', () => {
  const web = deployment({ replicas: 3, updatedReplicas: 3, availableReplicas: 1 })
  const rs = replicaSetOf(web, '7d9c6b5f4', '1', 3)

  it('is in progress while updated replicas are not all available, naming the pod that holds it up', () => {
    const pods = [
      podOf(rs, 'x2k8p'),
      podOf(rs, 'm4n7q', { containers: [waiting('web', 'ContainerCreating')] }),
      podOf(rs, 'z9v3t', { containers: [running('web', { ready: false })] })
    ]
    const readiness = deploymentReadiness(web, context(pods, [rs]))
    expect(readiness).toEqual({
      state: 'InProgress',
      message:
        '1 of 3 updated replicas available; pod web-7d9c6b5f4-m4n7q: not ready (container web: ContainerCreating) (+1 more)'
    })
  })

  it('is in progress while the ReplicaSet has not created every replica yet', () => {
    const early = deployment({ replicas: 3, updatedReplicas: 1, availableReplicas: 0 })
    const pods = [podOf(rs, 'x2k8p', { scheduled: false })]
    const readiness = deploymentReadiness(early, context(pods, [rs]))
    expect(readiness.state).toBe('InProgress')
    expect(readiness.message).toBe(
      '1 of 3 replicas updated; pod web-7d9c6b5f4-x2k8p: Pending (not scheduled yet)'
    )
  })

  it('is Current once every replica is updated and available', () => {
    const done = deployment({ replicas: 3 })
    const pods = ['x2k8p', 'm4n7q', 'z9v3t'].map(s => podOf(rs, s))
    expect(deploymentReadiness(done, context(pods, [rs]))).toEqual({
      state: 'Current',
      message: '3 of 3 replicas available'
    })
  })

  it('defaults spec.replicas to 1 and takes a Deployment scaled to zero as done', () => {
    const one = deployment({ replicas: 1 })
    delete one.spec!.replicas
    expect(deploymentReadiness(one, context([], [])).message).toBe('1 of 1 replica available')
    const zero = deployment({ replicas: 0 })
    expect(deploymentReadiness(zero, context([], []))).toEqual({
      state: 'Current',
      message: 'scaled to 0 replicas'
    })
  })
})

describe('Deployment: update rollout', () => {
  const web = deployment({
    generation: 2,
    revision: '2',
    replicas: 3,
    updatedReplicas: 3,
    statusReplicas: 4,
    availableReplicas: 3
  })
  const oldRs = replicaSetOf(web, '5f6d8c7b9', '1', 0)
  const newRs = replicaSetOf(web, '7d9c6b5f4', '2', 3)

  it('waits for old replicas to terminate even when the new ones are all available', () => {
    const pods = [
      ...['x2k8p', 'm4n7q', 'z9v3t'].map(s => podOf(newRs, s)),
      podOf(oldRs, 'q7w2e', { deleting: true })
    ]
    expect(deploymentReadiness(web, context(pods, [oldRs, newRs]))).toEqual({
      state: 'InProgress',
      message: 'waiting for 1 old replica to terminate; old revision pod web-5f6d8c7b9-q7w2e: terminating'
    })
  })

  it('says "replicas" for more than one old replica', () => {
    const surge = deployment({ generation: 2, revision: '2', updatedReplicas: 3, statusReplicas: 5 })
    expect(deploymentReadiness(surge, context([], [oldRs, newRs])).message).toBe(
      'waiting for 2 old replicas to terminate'
    )
  })

  it('waits for the controller to observe the new generation, whatever the stale status says', () => {
    const stale = deployment({ generation: 4, observedGeneration: 3, revision: '2' })
    // The pods the stale revision annotation points at crash, but this spec may be the fix.
    const pods = [podOf(newRs, 'x2k8p', { containers: [crashLooping()] })]
    expect(deploymentReadiness(stale, context(pods, [oldRs, newRs]))).toEqual({
      state: 'InProgress',
      message: 'waiting for the controller to observe generation 4'
    })
  })

  it('fails on ProgressDeadlineExceeded, saying which new pod is not ready', () => {
    const stuck = deployment({
      generation: 2,
      revision: '2',
      updatedReplicas: 1,
      statusReplicas: 4,
      availableReplicas: 3,
      conditions: progressDeadlineExceeded('web-7d9c6b5f4')
    })
    const pods = [podOf(newRs, 'x2k8p', { containers: [running('web', { ready: false })] })]
    const readiness = deploymentReadiness(stuck, context(pods, [oldRs, newRs]))
    expect(readiness.state).toBe('Failed')
    expect(readiness.failure).toEqual({
      code: 'ProgressDeadline',
      pod: 'web-7d9c6b5f4-x2k8p',
      reason:
        'rollout exceeded its progress deadline of 600s (ReplicaSet "web-7d9c6b5f4" has timed out progressing.); ' +
        'pod web-7d9c6b5f4-x2k8p: not ready (container web: running, readiness probe not passing yet)'
    })
    expect(readiness.message).toBe(readiness.failure!.reason)
  })

  it('ignores a deadline left over from a rollout that a rollback to an older ReplicaSet ended', () => {
    // The rollback made the old ReplicaSet the newest revision (3); the condition still names the stuck one.
    const rolledBack = deployment({
      generation: 3,
      revision: '3',
      updatedReplicas: 3,
      statusReplicas: 3,
      availableReplicas: 3,
      conditions: progressDeadlineExceeded('web-7d9c6b5f4')
    })
    const previous = replicaSetOf(web, '5f6d8c7b9', '3', 3)
    const readiness = deploymentReadiness(rolledBack, context([], [previous, newRs]))
    expect(readiness.state).toBe('Current')
  })

  it('fails on a deadline naming a ReplicaSet not listed yet: nothing shows that rollout is over', () => {
    const stuck = deployment({
      generation: 2,
      revision: '2',
      updatedReplicas: 1,
      conditions: progressDeadlineExceeded('web-7d9c6b5f4')
    })
    expect(deploymentReadiness(stuck, context([], [])).failure).toEqual({
      code: 'ProgressDeadline',
      pod: undefined,
      reason:
        'rollout exceeded its progress deadline of 600s (ReplicaSet "web-7d9c6b5f4" has timed out progressing.)'
    })
  })

  it('says only what it knows of a deadline without progressDeadlineSeconds or a message', () => {
    const stuck = deployment({
      updatedReplicas: 1,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }]
    })
    delete stuck.spec!.progressDeadlineSeconds
    expect(deploymentReadiness(stuck, context([], [])).failure?.reason).toBe(
      'rollout exceeded its progress deadline'
    )
  })

  it('names the first new pod that is not ready, passing over ready and terminating ones', () => {
    const stuck = deployment({
      generation: 2,
      revision: '2',
      updatedReplicas: 3,
      availableReplicas: 1,
      conditions: progressDeadlineExceeded('web-7d9c6b5f4')
    })
    const pods = [
      podOf(newRs, 'a1b2c', { deleting: true, containers: [running('web', { ready: false })] }),
      podOf(newRs, 'x2k8p'),
      podOf(newRs, 'm4n7q', { containers: [running('web', { ready: false })] })
    ]
    const failure = deploymentReadiness(stuck, context(pods, [oldRs, newRs])).failure
    expect(failure?.pod).toBe('web-7d9c6b5f4-m4n7q')
    expect(failure?.reason).toMatch(/; pod web-7d9c6b5f4-m4n7q: not ready \(container web: running/)
  })

  it('reports a doomed new pod rather than the bare deadline when there is one', () => {
    const stuck = deployment({
      generation: 2,
      revision: '2',
      updatedReplicas: 1,
      statusReplicas: 4,
      conditions: progressDeadlineExceeded('web-7d9c6b5f4')
    })
    const pods = [podOf(newRs, 'x2k8p', { containers: [crashLooping('web', 9, 2)] })]
    expect(deploymentReadiness(stuck, context(pods, [oldRs, newRs])).failure?.code).toBe('CrashLoop')
  })
})

describe('Deployment: doomed pods of the new revision fail the rollout early', () => {
  const web = deployment({
    generation: 2,
    revision: '2',
    replicas: 3,
    updatedReplicas: 1,
    statusReplicas: 4,
    availableReplicas: 3
  })
  const oldRs = replicaSetOf(web, '5f6d8c7b9', '1', 3)
  const newRs = replicaSetOf(web, '7d9c6b5f4', '2', 1)
  const healthyOld = ['a1b2c', 'd3e4f', 'g5h6i'].map(s => podOf(oldRs, s))

  it('fails on a crash loop with container, restart count, exit code and a request for logs', () => {
    const pods = [
      ...healthyOld,
      podOf(newRs, 'x2k8p', { containers: [crashLooping('web', 4, 137, 'OOMKilled')] })
    ]
    const readiness = deploymentReadiness(web, context(pods, [oldRs, newRs]))
    expect(readiness.state).toBe('Failed')
    expect(readiness.failure).toEqual({
      code: 'CrashLoop',
      pod: 'web-7d9c6b5f4-x2k8p',
      container: 'web',
      restartCount: 4,
      exitCode: 137,
      waitingReason: 'CrashLoopBackOff',
      wantsLogs: true,
      previousLogs: true,
      reason:
        'pod web-7d9c6b5f4-x2k8p: container web is crash-looping (4 restarts, last exit code 137, OOMKilled)'
    })
  })

  it('does not fail when the same crash loop is in a pod of the old revision this rollout replaces', () => {
    const fixing = deployment({
      generation: 2,
      revision: '2',
      replicas: 3,
      updatedReplicas: 1,
      statusReplicas: 4,
      availableReplicas: 0
    })
    const pods = [
      podOf(oldRs, 'a1b2c', { containers: [crashLooping()] }),
      podOf(oldRs, 'd3e4f', { containers: [crashLooping()] }),
      podOf(newRs, 'x2k8p', { containers: [waiting('web', 'ContainerCreating')] })
    ]
    const readiness = deploymentReadiness(fixing, context(pods, [oldRs, newRs]))
    expect(readiness.state).toBe('InProgress')
    expect(readiness.failure).toBeUndefined()
    expect(readiness.message).toBe(
      '1 of 3 replicas updated; pod web-7d9c6b5f4-x2k8p: not ready (container web: ContainerCreating)'
    )
  })

  it('does not fail on a crash-looping pod of another Deployment with the same labels', () => {
    const other = deployment({ name: 'web-canary', revision: '2' })
    const otherRs = replicaSetOf(other, '7d9c6b5f4', '2', 1)
    const pods = [...healthyOld, podOf(otherRs, 'k2j3h', { containers: [crashLooping()] })]
    expect(deploymentReadiness(web, context(pods, [oldRs, newRs, otherRs])).state).toBe('InProgress')
  })

  it('fails on ErrImagePull with the kubelet message', () => {
    const message =
      'failed to pull and unpack image "ghcr.io/acme/web:1.4.3": ghcr.io/acme/web:1.4.3: not found'
    const pods = [
      ...healthyOld,
      podOf(newRs, 'x2k8p', { containers: [waiting('web', 'ErrImagePull', message)] })
    ]
    const failure = deploymentReadiness(web, context(pods, [oldRs, newRs])).failure
    expect(failure?.code).toBe('ImagePull')
    expect(failure?.waitingReason).toBe('ErrImagePull')
    expect(failure?.container).toBe('web')
    expect(failure?.wantsLogs).toBeUndefined()
    expect(failure?.reason).toBe(
      `pod web-7d9c6b5f4-x2k8p: container web cannot pull image "ghcr.io/acme/web:1.4.2" (ErrImagePull: ${message})`
    )
  })

  it('fails on CreateContainerConfigError naming the missing secret', () => {
    const pods = [
      podOf(newRs, 'x2k8p', {
        containers: [waiting('web', 'CreateContainerConfigError', 'secret "web-secrets" not found')]
      })
    ]
    const failure = deploymentReadiness(web, context(pods, [oldRs, newRs])).failure
    expect(failure?.code).toBe('ContainerConfig')
    expect(failure?.reason).toBe(
      'pod web-7d9c6b5f4-x2k8p: container web cannot be created (CreateContainerConfigError: secret "web-secrets" not found)'
    )
  })

  it('fails on an unschedulable pod with the scheduler message', () => {
    const message =
      '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.'
    const pods = [podOf(newRs, 'x2k8p', { scheduled: { reason: 'Unschedulable', message } })]
    expect(deploymentReadiness(web, context(pods, [oldRs, newRs])).failure).toEqual({
      code: 'Unschedulable',
      pod: 'web-7d9c6b5f4-x2k8p',
      reason: `pod web-7d9c6b5f4-x2k8p cannot be scheduled: ${message}`
    })
  })

  it('does not fail on a doomed new pod that is already being deleted', () => {
    const pods = [podOf(newRs, 'x2k8p', { deleting: true, containers: [crashLooping()] })]
    expect(deploymentReadiness(web, context(pods, [oldRs, newRs])).state).toBe('InProgress')
  })
})

describe('Deployment: messages', () => {
  it('shows a ReplicaSet that cannot create pods (quota) while waiting', () => {
    const web = deployment({
      updatedReplicas: 1,
      conditions: [
        {
          type: 'ReplicaFailure',
          status: 'True',
          reason: 'FailedCreate',
          message: 'pods "web-7d9c6b5f4-" is forbidden: exceeded quota: compute, requested: cpu=500m'
        }
      ]
    })
    // Pods of the namespace still terminating will give their quota back: wait, showing why.
    const terminating = { metadata: { name: 'old-1', deletionTimestamp: new Date() } } as V1Pod
    const readiness = deploymentReadiness(web, context([terminating], []))
    expect(readiness.state).toBe('InProgress')
    expect(readiness.message).toBe(
      '1 of 3 replicas updated (FailedCreate: pods "web-7d9c6b5f4-" is forbidden: exceeded quota: compute, requested: cpu=500m)'
    )
    // Nothing will free it: the rollout is doomed.
    const doomed = deploymentReadiness(web, context([], []))
    expect(doomed.state).toBe('Failed')
    expect(doomed.failure).toMatchObject({ code: 'AdmissionDenied' })
    expect(doomed.failure?.reason).toContain('exceeded quota: compute')
  })

  it('fails at once when admission refuses the pods', () => {
    const web = deployment({
      updatedReplicas: 0,
      conditions: [
        {
          type: 'ReplicaFailure',
          status: 'True',
          reason: 'FailedCreate',
          message:
            'pods "web-1" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false'
        }
      ]
    })
    const readiness = deploymentReadiness(web, context([], []))
    expect(readiness.failure?.code).toBe('AdmissionDenied')
    expect(readiness.failure?.reason).toContain('violates PodSecurity')
  })

  it('names minReadySeconds while updated replicas are not available yet', () => {
    const web = deployment({ availableReplicas: 2 })
    web.spec!.minReadySeconds = 30
    expect(deploymentReadiness(web, context([], [])).message).toBe(
      '2 of 3 updated replicas available (minReadySeconds 30)'
    )
  })

  it('waits on a ReplicaSet failure that is not a refusal of its pods', () => {
    const failing = (reason: string, message: string) =>
      deployment({
        updatedReplicas: 1,
        conditions: [{ type: 'ReplicaFailure', status: 'True', reason, message }]
      })
    // A webhook refusing to let a pod go is not the rollout's pods being refused.
    const deleteRefused = failing('FailedDelete', 'pods "web-5f6d8c7b9-a1b2c" is forbidden: protected')
    expect(deploymentReadiness(deleteRefused, context([], []))).toEqual({
      state: 'InProgress',
      message: '1 of 3 replicas updated (FailedDelete: pods "web-5f6d8c7b9-a1b2c" is forbidden: protected)'
    })
    // A transient API error: the controller retries.
    const transient = failing('FailedCreate', 'etcdserver: request timed out')
    expect(deploymentReadiness(transient, context([], []))).toEqual({
      state: 'InProgress',
      message: '1 of 3 replicas updated (FailedCreate: etcdserver: request timed out)'
    })
  })

  it('says when the rollout is paused', () => {
    const web = deployment({ updatedReplicas: 0, paused: true })
    expect(deploymentReadiness(web, context([], [])).message).toBe('rollout paused: 0 of 3 replicas updated')
  })
})
