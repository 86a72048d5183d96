// The edges of each readiness rule, where a wrong comparison would give a wrong verdict.
import { diagnosePod } from '../../../src/kube/status/pod.js'
import { genericReadiness } from '../../../src/kube/status/generic.js'
import { deploymentReadiness } from '../../../src/kube/status/deployment.js'
import { replicaSetReadiness } from '../../../src/kube/status/replicaset.js'
import { jobReadiness } from '../../../src/kube/status/job.js'
import { statefulSetReadiness } from '../../../src/kube/status/statefulset.js'
import { daemonSetReadiness } from '../../../src/kube/status/daemonset.js'
import type { V1DeploymentCondition, V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import type { ReadinessContext } from '../../../src/kube/status/types.js'
import {
  daemonPod,
  daemonSet,
  deployment,
  job,
  jobPod,
  pod,
  podOf,
  replicaSetOf,
  running,
  statefulPod,
  statefulSet,
  terminated
} from '../../fixtures/status/builders.js'

const context = (pods: V1Pod[] = [], replicaSets: V1ReplicaSet[] = []): ReadinessContext => ({
  pods,
  replicaSets,
  waitForLoadBalancer: false
})
const empty = context()

describe('custom resources (kstatus conventions)', () => {
  const resource = (generation: number, ready: { status: string; observedGeneration?: number }) => ({
    apiVersion: 'acme.dev/v1',
    kind: 'Widget',
    metadata: { name: 'w', generation },
    status: { conditions: [{ type: 'Ready', reason: 'Done', ...ready }] }
  })

  it('a Ready condition observed at the current generation decides', () => {
    expect(genericReadiness(resource(2, { status: 'True', observedGeneration: 2 })).state).toBe('Current')
    expect(genericReadiness(resource(2, { status: 'False', observedGeneration: 2 })).state).toBe('InProgress')
  })

  it('a Ready condition of an older generation is not believed', () => {
    const readiness = genericReadiness(resource(3, { status: 'True', observedGeneration: 2 }))
    expect(readiness).toMatchObject({
      state: 'InProgress',
      message: 'waiting for the controller to observe generation 3'
    })
  })

  it('Stalled=True fails, Reconciling=True waits, no conditions means applied', () => {
    const withConditions = (conditions: object[]) => ({
      apiVersion: 'acme.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w', generation: 1 },
      status: { observedGeneration: 1, conditions }
    })
    expect(
      genericReadiness(withConditions([{ type: 'Stalled', status: 'True', reason: 'BadSpec' }]))
    ).toMatchObject({ state: 'Failed', failure: { code: 'ResourceFailed' } })
    expect(genericReadiness(withConditions([{ type: 'Stalled', status: 'False' }])).state).toBe('Current')
    expect(genericReadiness(withConditions([{ type: 'Reconciling', status: 'True' }])).state).toBe(
      'InProgress'
    )
    expect(genericReadiness(withConditions([{ type: 'Reconciling', status: 'False' }])).state).toBe('Current')
    expect(genericReadiness({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })).toMatchObject({
      state: 'Current',
      message: 'applied'
    })
  })

  it('a stale status.observedGeneration waits', () => {
    expect(
      genericReadiness({
        apiVersion: 'acme.dev/v1',
        kind: 'Widget',
        metadata: { name: 'w', generation: 2 },
        status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] }
      }).state
    ).toBe('InProgress')
  })
})

describe('pods held before scheduling', () => {
  it('only the Unschedulable reason is a scheduling failure; a scheduling gate is a hold', () => {
    const gated = pod('web', { scheduled: { reason: 'SchedulingGated', message: 'gated' } })
    expect(diagnosePod(gated)).toBeUndefined()
    const unschedulable = pod('web', { scheduled: { reason: 'Unschedulable', message: '0/3 nodes' } })
    expect(diagnosePod(unschedulable)).toMatchObject({
      code: 'Unschedulable',
      reason: 'pod web cannot be scheduled: 0/3 nodes'
    })
  })
})

describe('evicted pods of controllers that replace them', () => {
  const evicted = { phase: 'Failed' as const, reason: 'Evicted', message: 'low on memory' }

  it('a StatefulSet rollout waits for the replacement', () => {
    const sts = statefulSet({ readyReplicas: 2 })
    const pods = [
      statefulPod(sts, 0, 'db-6b8f9c7d4'),
      statefulPod(sts, 1, 'db-6b8f9c7d4'),
      statefulPod(sts, 2, 'db-6b8f9c7d4', { ...evicted, containers: [terminated('db', 137)] })
    ]
    expect(statefulSetReadiness(sts, context(pods)).state).toBe('InProgress')
  })

  it('a DaemonSet rollout waits for the replacement', () => {
    const ds = daemonSet({ available: 2 })
    const pods = [
      daemonPod(ds, 'a', 1),
      daemonPod(ds, 'b', 1),
      daemonPod(ds, 'c', 1, { ...evicted, containers: [terminated('agent', 137)] })
    ]
    expect(daemonSetReadiness(ds, context(pods)).state).toBe('InProgress')
  })

  it('a bare pod that fails is failed (nothing replaces it)', () => {
    expect(diagnosePod(pod('one-off', { ...evicted, containers: [terminated('web', 137)] }))).toMatchObject({
      code: 'ResourceFailed',
      reason: 'pod one-off failed (Evicted: low on memory): container web exited with code 137'
    })
  })
})

describe('Deployment progress conditions', () => {
  const web = (conditions: V1DeploymentCondition[]) =>
    deployment({ updatedReplicas: 1, availableReplicas: 1, revision: '2', conditions })
  const rs = replicaSetOf(web([]), 'new', '2', 3)

  it('a progress deadline naming no ReplicaSet is about this rollout: failed', () => {
    const readiness = deploymentReadiness(
      web([
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'too slow' }
      ]),
      context([], [rs])
    )
    expect(readiness).toMatchObject({ state: 'Failed', failure: { code: 'ProgressDeadline' } })
    expect(readiness.failure?.reason).toBe('rollout exceeded its progress deadline of 600s (too slow)')
  })

  it('a progress deadline naming the current new ReplicaSet fails; one naming an older one does not', () => {
    const naming = (name: string) =>
      web([
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: `ReplicaSet "${name}" has timed out progressing.`
        }
      ])
    expect(deploymentReadiness(naming('web-new'), context([], [rs])).state).toBe('Failed')
    expect(deploymentReadiness(naming('web-old'), context([], [rs])).state).toBe('InProgress')
  })

  it('Progressing=False for another reason is not a deadline', () => {
    const readiness = deploymentReadiness(
      web([{ type: 'Progressing', status: 'False', reason: 'SomethingElse', message: 'x' }]),
      context([], [rs])
    )
    expect(readiness.state).toBe('InProgress')
  })

  it('counts: updated, then old replicas gone, then available', () => {
    const withRs = context([], [rs])
    expect(deploymentReadiness(deployment({ updatedReplicas: 2 }), withRs).message).toMatch(
      /^2 of 3 replicas updated/
    )
    expect(deploymentReadiness(deployment({ statusReplicas: 4 }), withRs).message).toMatch(
      /^waiting for 1 old replica to terminate/
    )
    expect(deploymentReadiness(deployment({ availableReplicas: 2 }), withRs).message).toMatch(
      /^2 of 3 updated replicas available/
    )
    expect(deploymentReadiness(deployment({}), withRs)).toMatchObject({
      state: 'Current',
      message: '3 of 3 replicas available'
    })
    expect(deploymentReadiness(deployment({ replicas: 0 }), withRs)).toMatchObject({
      state: 'Current',
      message: 'scaled to 0 replicas'
    })
  })
})

describe('a ReplicaSet applied on its own', () => {
  const standalone = (status: { replicas: number; readyReplicas: number; availableReplicas: number }) => {
    const rs = replicaSetOf(deployment(), 'solo', '1', 2)
    delete rs.metadata!.ownerReferences
    rs.status = { observedGeneration: 1, ...status }
    return rs
  }

  it('is ready only when its replicas are ready and available, and no extra one remains', () => {
    expect(
      replicaSetReadiness(standalone({ replicas: 2, readyReplicas: 1, availableReplicas: 1 }), empty)
    ).toMatchObject({ state: 'InProgress', message: '1 of 2 replicas ready' })
    expect(
      replicaSetReadiness(standalone({ replicas: 2, readyReplicas: 2, availableReplicas: 1 }), empty)
    ).toMatchObject({ state: 'InProgress', message: '1 of 2 replicas available' })
    expect(
      replicaSetReadiness(standalone({ replicas: 3, readyReplicas: 2, availableReplicas: 2 }), empty)
    ).toMatchObject({ state: 'InProgress', message: 'waiting for 1 extra replica to terminate' })
    expect(
      replicaSetReadiness(standalone({ replicas: 2, readyReplicas: 2, availableReplicas: 2 }), empty)
    ).toMatchObject({ state: 'Current', message: '2 of 2 replicas available' })
  })

  it('fails when a pod of it is doomed', () => {
    const rs = standalone({ replicas: 2, readyReplicas: 1, availableReplicas: 1 })
    const doomed = podOf(rs, 'x', { containers: [running('web', { ready: false })], phase: 'Running' })
    doomed.status!.containerStatuses = [
      { ...doomed.status!.containerStatuses![0], state: { waiting: { reason: 'ErrImagePull' } } }
    ]
    expect(replicaSetReadiness(rs, context([doomed])).state).toBe('Failed')
  })
})

describe('Jobs', () => {
  it('FailureTarget fails the Job before the Failed condition arrives', () => {
    const migrate = job({
      failed: 7,
      conditions: [{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' }]
    })
    expect(jobReadiness(migrate, empty)).toMatchObject({ state: 'Failed', failure: { code: 'JobFailed' } })
  })

  it('a Complete=False or Failed=False condition decides nothing', () => {
    const migrate = job({
      active: 1,
      conditions: [
        { type: 'Complete', status: 'False' },
        { type: 'Failed', status: 'False' }
      ]
    })
    expect(jobReadiness(migrate, empty).state).toBe('InProgress')
  })

  it('names the container that exited non-zero, not one that exited 0', () => {
    const migrate = job({
      failed: 1,
      conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]
    })
    const attempt = jobPod(migrate, 'a', {
      phase: 'Failed',
      containers: [terminated('sidecar', 0), terminated('migrate', 3)]
    })
    const readiness = jobReadiness(migrate, context([attempt]))
    expect(readiness.failure).toMatchObject({ container: 'migrate', exitCode: 3, pod: 'migrate-a' })
    expect(readiness.failure?.reason).toMatch(/container migrate exited with code 3$/)
  })

  it('names the most recent failure among several attempts', () => {
    const migrate = job({
      failed: 2,
      conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]
    })
    const first = jobPod(migrate, 'a', {
      phase: 'Failed',
      containers: [terminated('migrate', 1, { finishedAt: '2026-11-24T10:00:09Z' })]
    })
    const second = jobPod(migrate, 'b', {
      phase: 'Failed',
      containers: [terminated('migrate', 2, { finishedAt: '2026-11-24T10:02:09Z' })]
    })
    for (const pods of [
      [first, second],
      [second, first]
    ])
      expect(jobReadiness(migrate, context(pods)).failure).toMatchObject({
        pod: 'migrate-b',
        exitCode: 2
      })
  })

  it('is done on Complete or SuccessCriteriaMet, and waits while suspended', () => {
    expect(
      jobReadiness(job({ succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }), empty)
    ).toMatchObject({ state: 'Current', message: 'completed (1 succeeded)' })
    expect(
      jobReadiness(job({ conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }] }), empty).state
    ).toBe('Current')
    expect(jobReadiness(job({ suspend: true }), empty)).toMatchObject({
      state: 'InProgress',
      message: 'suspended (spec.suspend is true)'
    })
    expect(jobReadiness(job({ active: 1, backoffLimit: 2 }), empty).message).toBe(
      '0 of 1 completions, 1 active, 0 failed (backoff limit 2)'
    )
  })
})
