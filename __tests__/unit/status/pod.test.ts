import type { V1Pod } from '@kubernetes/client-node'
import { describePodProgress, diagnosePod } from '../../../src/kube/status/pod.js'
import { podReadiness } from '../../../src/kube/status/pod-rule.js'
import {
  crashLooping,
  daemonPod,
  daemonSet,
  deployment,
  IMAGE,
  job,
  pod,
  podOf,
  replicaSetOf,
  running,
  statefulPod,
  statefulSet,
  terminated,
  waiting
} from '../../fixtures/status/builders.js'

const rs = replicaSetOf(deployment(), '7d9c6b5f4', '1', 3)

/** The same pod with `change` applied: for the fields the builder does not set. */
function edit(subject: V1Pod, change: (pod: V1Pod) => void): V1Pod {
  change(subject)
  return subject
}

const evictedStatus = {
  phase: 'Failed' as const,
  reason: 'Evicted',
  message: 'The node was low on resource: memory.',
  containers: [] as never[]
}

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

  it.each([
    [
      'StatefulSet',
      statefulPod(statefulSet({}), 0, 'db-6b8f9c7d4', {
        ...evictedStatus,
        containers: [terminated('db', 137, { reason: 'OOMKilled' })]
      })
    ],
    [
      'DaemonSet',
      daemonPod(daemonSet({}), 'k8s2x', 1, {
        ...evictedStatus,
        containers: [terminated('agent', 137, { reason: 'OOMKilled' })]
      })
    ],
    [
      'ReplicationController',
      pod('legacy-abcde', {
        ...evictedStatus,
        owner: {
          apiVersion: 'v1',
          kind: 'ReplicationController',
          metadata: { name: 'legacy', uid: 'uid-rc' }
        }
      })
    ]
  ])('does not take an evicted pod of a %s as doomed: its controller replaces it', (_, evicted) => {
    expect(diagnosePod(evicted)).toBeUndefined()
  })

  it('takes an evicted pod nothing replaces as doomed, without asking for logs no container wrote', () => {
    expect(diagnosePod(pod('debug', evictedStatus))).toEqual({
      code: 'ResourceFailed',
      pod: 'debug',
      container: undefined,
      exitCode: undefined,
      restartCount: undefined,
      wantsLogs: false,
      reason: 'pod debug failed (Evicted: The node was low on resource: memory.)'
    })
  })

  it('names the container that failed, not one that exited cleanly before it', () => {
    const failure = diagnosePod(
      pod('smoke', {
        restartPolicy: 'Never',
        phase: 'Failed',
        containers: [terminated('setup', 0), terminated('smoke', 3)]
      })
    )
    expect(failure).toMatchObject({ container: 'smoke', exitCode: 3, wantsLogs: true })
    expect(failure?.reason).toBe('pod smoke failed: container smoke exited with code 3')
  })

  it('does not take a scheduling hold for Unschedulable', () => {
    const gated = pod('web', {
      scheduled: {
        reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates'
      }
    })
    expect(diagnosePod(gated)).toBeUndefined()
  })

  it('says Unschedulable when the scheduler gives no message', () => {
    const subject = pod('web', { scheduled: { reason: 'Unschedulable', message: '' } })
    delete subject.status!.conditions![0].message
    expect(diagnosePod(subject)?.reason).toBe('pod web cannot be scheduled: Unschedulable')
  })

  it('names a pod without a name "?"', () => {
    const subject = edit(pod('web', { containers: [waiting('web', 'CreateContainerError')] }), p => {
      delete p.metadata!.name
    })
    expect(diagnosePod(subject)?.reason).toBe('pod ?: container web cannot be created (CreateContainerError)')
  })

  it("names the image of the container that cannot pull it, not another container's", () => {
    const subject = edit(
      pod('web', {
        containers: [running('web'), { ...waiting('proxy', 'ErrImagePull', 'not found'), image: '' }]
      }),
      p => {
        p.spec!.initContainers = [{ name: 'migrate', image: 'ghcr.io/acme/migrate:1.4.2' }]
        p.spec!.containers[1].image = 'ghcr.io/acme/proxy:0.9'
      }
    )
    expect(diagnosePod(subject)?.reason).toBe(
      'pod web: container proxy cannot pull image "ghcr.io/acme/proxy:0.9" (ErrImagePull: not found)'
    )
  })

  it('leaves the image out when neither the status nor the spec names one', () => {
    const subject = edit(
      pod('web', { containers: [{ ...waiting('web', 'InvalidImageName'), image: '' }] }),
      p => {
        p.spec!.containers[0].image = ''
      }
    )
    expect(diagnosePod(subject)?.reason).toBe('pod web: container web cannot pull image (InvalidImageName)')
  })

  it('describes a crash loop whose last exit the kubelet has not reported', () => {
    const failure = diagnosePod(
      pod('web', { containers: [waiting('web', 'CrashLoopBackOff', undefined, { restartCount: 4 })] })
    )
    expect(failure?.reason).toBe('pod web: container web is crash-looping (4 restarts)')
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

  it.each([
    [
      'a pod that ran to completion',
      pod('seed-1', { phase: 'Succeeded', containers: [terminated('seed', 0)] }),
      'pod seed-1: completed'
    ],
    [
      'the container that failed, not one that exited cleanly',
      pod('job-1', { phase: 'Failed', containers: [terminated('setup', 0), terminated('job', 1)] }),
      'pod job-1: failed (container job: terminated (Error, exit code 1))'
    ],
    [
      'a termination without a reason',
      edit(pod('job-1', { phase: 'Failed', containers: [terminated('job', 1)] }), p => {
        delete p.status!.containerStatuses![0].state!.terminated!.reason
      }),
      'pod job-1: failed (container job: terminated (exit code 1))'
    ],
    [
      'a failure with nothing to say why',
      pod('job-1', { phase: 'Failed', containers: [] }),
      'pod job-1: failed'
    ],
    [
      'a pod without a name',
      edit(pod('web-1'), p => {
        delete p.metadata!.name
      }),
      'pod ?: ready'
    ],
    [
      'a container waiting without a reason',
      edit(pod('web-1', { containers: [waiting('web', 'ContainerCreating')] }), p => {
        delete p.status!.containerStatuses![0].state!.waiting!.reason
      }),
      'pod web-1: not ready (container web: waiting)'
    ],
    [
      'a pod bound to a node before its PodScheduled condition is reported',
      edit(pod('web-1', { containers: [waiting('web', 'ContainerCreating')] }), p => {
        p.status!.conditions = []
      }),
      'pod web-1: not ready (container web: ContainerCreating)'
    ],
    [
      'a scheduled pod whose spec does not show the node yet',
      edit(pod('web-1', { containers: [waiting('web', 'ContainerCreating')] }), p => {
        delete p.spec!.nodeName
      }),
      'pod web-1: not ready (container web: ContainerCreating)'
    ],
    [
      'a scheduled pod without container statuses yet',
      pod('web-1', { containers: [] }),
      'pod web-1: Pending (containers not created yet)'
    ],
    [
      'a pod without a phase nor container statuses',
      edit(pod('web-1', { containers: [] }), p => {
        delete p.status!.phase
      }),
      'pod web-1: Pending (containers not created yet)'
    ],
    [
      'a Running pod whose container statuses are not reported',
      edit(pod('web-1', { containers: [] }), p => {
        p.status!.phase = 'Running'
      }),
      'pod web-1: Running (containers not created yet)'
    ],
    [
      'an init container waiting',
      pod('web-1', {
        initContainers: [waiting('migrate', 'ImagePullBackOff')],
        containers: [waiting('web', 'PodInitializing')]
      }),
      'pod web-1: initializing (init container migrate: ImagePullBackOff)'
    ],
    [
      'an init container that failed',
      pod('web-1', {
        initContainers: [terminated('migrate', 1)],
        containers: [waiting('web', 'PodInitializing')]
      }),
      'pod web-1: initializing (init container migrate: terminated (Error, exit code 1))'
    ],
    [
      'an init container without a state yet',
      pod('web-1', {
        initContainers: [{ name: 'migrate', image: IMAGE, imageID: '', ready: false, restartCount: 0 }],
        containers: [waiting('web', 'PodInitializing')]
      }),
      'pod web-1: initializing (init container migrate: not started)'
    ]
  ])('describes %s', (_, subject, expected) => {
    expect(describePodProgress(subject)).toBe(expected)
  })

  describe('with a sidecar (an init container that keeps running)', () => {
    const withSidecar = (proxy: ReturnType<typeof running>, web = running('web', { ready: false })) =>
      edit(pod('web-1', { initContainers: [terminated('migrate', 0), proxy], containers: [web] }), p => {
        p.spec!.initContainers = [
          { name: 'migrate', image: 'ghcr.io/acme/migrate:1.4.2' },
          { name: 'proxy', image: 'ghcr.io/acme/proxy:0.9', restartPolicy: 'Always' }
        ]
      })

    it('goes on to the app containers once the sidecar runs', () => {
      expect(describePodProgress(withSidecar(running('proxy')))).toBe(
        'pod web-1: not ready (container web: running, readiness probe not passing yet)'
      )
    })

    it('says what the sidecar is waiting for', () => {
      expect(describePodProgress(withSidecar(running('proxy', { ready: false, started: false })))).toBe(
        'pod web-1: initializing (sidecar container proxy: running, startup probe not passed yet)'
      )
    })
  })

  it.each([
    ['a reason only', { reason: 'ReadinessGatesNotReady' }, 'pod web-1: not ready (ReadinessGatesNotReady)'],
    [
      'a message only',
      { message: 'corresponding condition of pod readiness gate "target-health" does not exist.' },
      'pod web-1: not ready (Ready: corresponding condition of pod readiness gate "target-health" does not exist.)'
    ],
    ['neither', {}, 'pod web-1: not ready']
  ])('explains a Ready condition that is False with %s', (_, detail, expected) => {
    const gated = edit(pod('web-1', { ready: false }), p => {
      const ready = p.status!.conditions!.find(c => c.type === 'Ready')!
      delete ready.reason
      delete ready.message
      Object.assign(ready, detail)
    })
    expect(describePodProgress(gated)).toBe(expected)
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

  it('judges an applied Pod as bare even when it names a controller: no replacement would be this pod', () => {
    const copied = pod('web-7d9c6b5f4-x2k8p', {
      owner: rs,
      restartPolicy: 'Never',
      phase: 'Failed',
      containers: [terminated('web', 1)]
    })
    expect(podReadiness(copied).state).toBe('Failed')
  })

  it('is in progress while starting, saying on what', () => {
    expect(podReadiness(pod('debug', { containers: [waiting('web', 'ContainerCreating')] }))).toEqual({
      state: 'InProgress',
      message: 'pod debug: not ready (container web: ContainerCreating)'
    })
  })
})
