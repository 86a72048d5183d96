import { describePodProgress, diagnosePod } from '../../../src/kube/status/pod.js'
import { podReadiness } from '../../../src/kube/status/pod-rule.js'
import {
  crashLooping,
  deployment,
  job,
  pod,
  podOf,
  replicaSetOf,
  running,
  terminated,
  waiting
} from '../../fixtures/status/builders.js'

const rs = replicaSetOf(deployment(), '7d9c6b5f4', '1', 3)

describe('diagnosePod', () => {
  it('finds nothing wrong with a healthy or a still-starting pod', () => {
    expect(diagnosePod(pod('web'))).toBeUndefined()
    expect(diagnosePod(pod('web', { containers: [waiting('web', 'ContainerCreating')] }))).toBeUndefined()
    expect(diagnosePod(pod('web', { scheduled: false }))).toBeUndefined()
  })

  it('diagnoses a crash-looping init container', () => {
    const failure = diagnosePod(
      pod('web', {
        initContainers: [crashLooping('migrate', 3, 2)],
        containers: [waiting('web', 'PodInitializing')]
      })
    )
    expect(failure).toMatchObject({
      code: 'CrashLoop',
      container: 'migrate',
      restartCount: 3,
      exitCode: 2,
      wantsLogs: true
    })
    expect(failure?.reason).toBe('pod web: container migrate is crash-looping (3 restarts, last exit code 2)')
  })

  it.each(['ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'])(
    'diagnoses %s as ImagePull',
    reason => {
      const failure = diagnosePod(
        pod('web', { containers: [waiting('web', reason, 'Back-off pulling image')] })
      )
      expect(failure?.code).toBe('ImagePull')
      expect(failure?.waitingReason).toBe(reason)
    }
  )

  it('names the image from the spec when the status does not carry it yet', () => {
    const status = { ...waiting('web', 'ErrImagePull', 'not found'), image: '' }
    const subject = pod('web', { containers: [status] })
    subject.spec!.containers[0].image = 'ghcr.io/acme/web:9.9.9'
    expect(diagnosePod(subject)?.reason).toBe(
      'pod web: container web cannot pull image "ghcr.io/acme/web:9.9.9" (ErrImagePull: not found)'
    )
  })

  it.each(['CreateContainerError', 'RunContainerError'])('diagnoses %s as ContainerConfig', reason => {
    expect(diagnosePod(pod('web', { containers: [waiting('web', reason)] }))?.code).toBe('ContainerConfig')
  })

  it('takes a container that could not even be started as a config problem, not a crash', () => {
    const failure = diagnosePod(
      pod('web', {
        containers: [
          waiting('web', 'CrashLoopBackOff', 'back-off 10s', {
            restartCount: 2,
            lastExit: {
              exitCode: 128,
              reason: 'StartError',
              message: 'exec: "/app/serve": stat /app/serve: no such file or directory'
            }
          })
        ]
      })
    )
    expect(failure?.code).toBe('ContainerConfig')
    expect(failure?.exitCode).toBe(128)
    expect(failure?.reason).toBe(
      'pod web: container web cannot start (StartError: exec: "/app/serve": stat /app/serve: no such file or directory)'
    )
  })

  it('leaves an unschedulable pod alone while the scheduler preempts for it', () => {
    const scheduled = { reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' }
    expect(diagnosePod(pod('web', { scheduled }))?.code).toBe('Unschedulable')
    expect(diagnosePod(pod('web', { scheduled, nominatedNodeName: 'kind-worker2' }))).toBeUndefined()
  })

  it('takes a Failed bare pod as doomed, with the container that failed', () => {
    const failure = diagnosePod(
      pod('smoke', { restartPolicy: 'Never', phase: 'Failed', containers: [terminated('smoke', 3)] })
    )
    expect(failure).toEqual({
      code: 'ResourceFailed',
      pod: 'smoke',
      container: 'smoke',
      exitCode: 3,
      restartCount: 0,
      wantsLogs: true,
      reason: 'pod smoke failed: container smoke exited with code 3'
    })
  })

  it('does not take an evicted pod of a ReplicaSet as doomed: the ReplicaSet replaces it', () => {
    const evicted = podOf(rs, 'x2k8p', {
      phase: 'Failed',
      reason: 'Evicted',
      message: 'The node was low on resource: memory.',
      containers: [terminated('web', 137, { reason: 'OOMKilled' })]
    })
    expect(diagnosePod(evicted)).toBeUndefined()
    expect(diagnosePod(evicted, { failedPodsAreReplaced: false })?.reason).toBe(
      'pod web-7d9c6b5f4-x2k8p failed (Evicted: The node was low on resource: memory.): container web exited with code 137 (OOMKilled)'
    )
  })

  it('does not take crashes of a Job pod as doomed (the Job retries), but does its image pull errors', () => {
    const owner = job({})
    const crashing = pod('migrate-abc', { owner, containers: [crashLooping('migrate')] })
    const failedPod = pod('migrate-def', { owner, phase: 'Failed', containers: [terminated('migrate', 1)] })
    const noImage = pod('migrate-ghi', { owner, containers: [waiting('migrate', 'ErrImagePull')] })
    expect(diagnosePod(crashing)).toBeUndefined()
    expect(diagnosePod(failedPod)).toBeUndefined()
    expect(diagnosePod(noImage)?.code).toBe('ImagePull')
    expect(diagnosePod(crashing, { crashesAreRetried: false })?.code).toBe('CrashLoop')
  })

  it('ignores a pod being deleted', () => {
    expect(diagnosePod(pod('web', { deleting: true, containers: [crashLooping()] }))).toBeUndefined()
  })
})

describe('describePodProgress', () => {
  it.each([
    [pod('web-1', { scheduled: false }), 'pod web-1: Pending (not scheduled yet)'],
    [
      pod('web-1', { scheduled: { reason: 'SchedulerError', message: 'binding rejected' } }),
      'pod web-1: Pending (not scheduled: binding rejected)'
    ],
    [
      pod('web-1', { containers: [waiting('web', 'ContainerCreating')] }),
      'pod web-1: not ready (container web: ContainerCreating)'
    ],
    [
      pod('web-1', { containers: [running('web', { ready: false })] }),
      'pod web-1: not ready (container web: running, readiness probe not passing yet)'
    ],
    [
      pod('web-1', { containers: [running('web', { ready: false, started: false })] }),
      'pod web-1: not ready (container web: running, startup probe not passed yet)'
    ],
    [
      pod('web-1', {
        initContainers: [running('migrate')],
        containers: [waiting('web', 'PodInitializing')]
      }),
      'pod web-1: initializing (init container migrate running)'
    ],
    [
      pod('web-1', {
        initContainers: [terminated('migrate', 0)],
        containers: [running('web', { ready: false })]
      }),
      'pod web-1: not ready (container web: running, readiness probe not passing yet)'
    ],
    [
      pod('job-1', { phase: 'Failed', containers: [terminated('job', 1)] }),
      'pod job-1: failed (container job: terminated (Error, exit code 1))'
    ],
    [pod('web-1', { deleting: true }), 'pod web-1: terminating'],
    [pod('web-1'), 'pod web-1: ready']
  ])('%#: %s', (subject, expected) => {
    expect(describePodProgress(subject)).toBe(expected)
  })

  it('explains a pod whose containers are ready but whose readiness gate is not', () => {
    const gated = pod('web-1', { ready: false })
    expect(describePodProgress(gated)).toBe(
      'pod web-1: not ready (ContainersNotReady: containers with unready status: [web])'
    )
  })
})

describe('podReadiness (a bare Pod)', () => {
  it('is Current when Ready', () => {
    expect(podReadiness(pod('debug'))).toEqual({ state: 'Current', message: 'ready' })
  })

  it('is Current when a run-to-completion pod has Succeeded', () => {
    const done = pod('seed', {
      restartPolicy: 'Never',
      phase: 'Succeeded',
      containers: [terminated('seed', 0)]
    })
    expect(podReadiness(done)).toEqual({ state: 'Current', message: 'completed' })
  })

  it('is Failed when the pod Failed', () => {
    const failedPod = pod('seed', {
      restartPolicy: 'Never',
      phase: 'Failed',
      containers: [terminated('seed', 2)]
    })
    const readiness = podReadiness(failedPod)
    expect(readiness.state).toBe('Failed')
    expect(readiness.failure?.exitCode).toBe(2)
  })

  it('is Failed on a crash loop even with restartPolicy OnFailure: nothing else will retry it', () => {
    const readiness = podReadiness(
      pod('seed', { restartPolicy: 'OnFailure', containers: [crashLooping('seed')] })
    )
    expect(readiness.failure?.code).toBe('CrashLoop')
  })

  it('is in progress while starting, saying on what', () => {
    expect(podReadiness(pod('debug', { containers: [waiting('web', 'ContainerCreating')] }))).toEqual({
      state: 'InProgress',
      message: 'pod debug: not ready (container web: ContainerCreating)'
    })
  })
})
