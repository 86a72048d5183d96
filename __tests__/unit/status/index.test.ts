import {
  currentRevisionPods,
  describeTimeout,
  newReplicaSet,
  podsOf,
  readinessOf,
  type ReadinessContext
} from '../../../src/kube/status/index.js'
import {
  crashLooping,
  deployment,
  job,
  jobPod,
  NAMESPACE,
  pod,
  podOf,
  replicaSetOf,
  waiting
} from '../../fixtures/status/builders.js'

const empty: ReadinessContext = { pods: [], replicaSets: [], waitForLoadBalancer: true }

describe('readinessOf', () => {
  it('chooses the rule by API group and kind', () => {
    const web = deployment({ updatedReplicas: 1 })
    expect(readinessOf(web, empty).message).toBe('1 of 3 replicas updated')
    // Same kind name, other group: a custom resource, judged by the generic conventions.
    const custom = {
      ...web,
      apiVersion: 'example.com/v1',
      status: { conditions: [{ type: 'Ready', status: 'True' }] }
    }
    expect(readinessOf(custom, empty)).toEqual({ state: 'Current', message: 'ready' })
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { type: 'LoadBalancer' }
    }
    expect(readinessOf(service, empty).state).toBe('InProgress')
    expect(readinessOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' } }, empty).state).toBe(
      'Current'
    )
    expect(readinessOf(pod('debug', { scheduled: false }), empty).message).toBe(
      'pod debug: Pending (not scheduled yet)'
    )
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      status: { phase: 'Lost' }
    }
    expect(readinessOf(claim, empty).failure?.code).toBe('ResourceFailed')
    const migrate = job({ conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }] })
    expect(readinessOf(migrate, empty).failure?.code).toBe('JobFailed')
  })

  it('works on the objects as listed, without kind on related objects', () => {
    const web = deployment({ revision: '2', updatedReplicas: 1 })
    const rs = replicaSetOf(web, '7d9c6b5f4', '2', 1)
    const listedRs = { ...rs }
    delete listedRs.kind
    delete listedRs.apiVersion
    const context = {
      ...empty,
      replicaSets: [listedRs],
      pods: [podOf(rs, 'x2k8p', { containers: [crashLooping()] })]
    }
    expect(readinessOf(web, context).failure?.code).toBe('CrashLoop')
  })

  it('is in progress for an object being deleted', () => {
    const web = deployment()
    web.metadata!.deletionTimestamp = '2026-11-24T10:05:00Z' as unknown as Date
    web.metadata!.finalizers = ['example.com/cleanup']
    expect(readinessOf(web, empty)).toEqual({
      state: 'InProgress',
      message: 'being deleted (waiting for finalizers: example.com/cleanup)'
    })
    web.metadata!.finalizers = ['example.com/cleanup', 'example.com/backup']
    expect(readinessOf(web, empty).message).toBe(
      'being deleted (waiting for finalizers: example.com/cleanup, example.com/backup)'
    )
    delete web.metadata!.finalizers
    expect(readinessOf(web, empty)).toEqual({ state: 'InProgress', message: 'being deleted' })
  })

  it('takes an object without apiVersion as of the core group', () => {
    const debug = pod('debug', { scheduled: false })
    delete debug.apiVersion
    expect(readinessOf(debug, empty).message).toBe('pod debug: Pending (not scheduled yet)')
  })
})

describe('describeTimeout', () => {
  it('renders one line per resource still missing something', () => {
    const lines = describeTimeout([
      {
        object: { kind: 'Deployment', metadata: { name: 'web', namespace: NAMESPACE } },
        readiness: {
          state: 'InProgress',
          message:
            '2 of 3 updated replicas available; pod web-7d9c6b5f4-m4n7q: not ready (container web: ContainerCreating)'
        }
      },
      {
        object: { kind: 'Service', metadata: { name: 'web', namespace: NAMESPACE } },
        readiness: { state: 'Current', message: 'ClusterIP service' }
      },
      {
        object: { kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: NAMESPACE } },
        readiness: { state: 'InProgress', message: 'waiting to be bound (Pending)' }
      }
    ])
    expect(lines).toEqual([
      'Deployment/web: 2 of 3 updated replicas available; pod web-7d9c6b5f4-m4n7q: not ready (container web: ContainerCreating)',
      'PersistentVolumeClaim/data: waiting to be bound (Pending)'
    ])
  })

  it('names namespaces when the resources span several', () => {
    const lines = describeTimeout([
      {
        object: { kind: 'Job', metadata: { name: 'migrate', namespace: 'a' } },
        readiness: { state: 'InProgress', message: 'x' }
      },
      {
        object: { kind: 'Job', metadata: { name: 'migrate', namespace: 'b' } },
        readiness: { state: 'Current', message: 'y' }
      }
    ])
    expect(lines).toEqual(['Job/migrate in a: x'])
  })
})

describe('related objects', () => {
  const web = deployment({ revision: '2' })
  const oldRs = replicaSetOf(web, '5f6d8c7b9', '1', 1)
  const newRs = replicaSetOf(web, '7d9c6b5f4', '2', 2)
  const strangerRs = replicaSetOf(deployment({ name: 'api' }), '7d9c6b5f4', '2', 1)
  const pods = [
    podOf(oldRs, 'a1b2c'),
    podOf(newRs, 'x2k8p'),
    podOf(newRs, 'm4n7q'),
    podOf(strangerRs, 'k2j3h'),
    pod('debug', { labels: { app: 'web' } })
  ]
  const context = { pods, replicaSets: [oldRs, newRs, strangerRs] }
  const names = (list: { metadata?: { name?: string } }[]) => list.map(p => p.metadata?.name)

  it('finds the newest ReplicaSet by revision, falling back to the highest before the annotation exists', () => {
    expect(newReplicaSet(web, context.replicaSets)?.metadata?.name).toBe('web-7d9c6b5f4')
    const unannotated = deployment()
    delete unannotated.metadata!.annotations
    expect(newReplicaSet(unannotated, [newRs, oldRs])?.metadata?.name).toBe('web-7d9c6b5f4')
  })

  it("lists a Deployment's pods through its ReplicaSets, and the new revision's", () => {
    expect(names(podsOf(web, context))).toEqual([
      'web-5f6d8c7b9-a1b2c',
      'web-7d9c6b5f4-x2k8p',
      'web-7d9c6b5f4-m4n7q'
    ])
    expect(names(currentRevisionPods(web, context))).toEqual(['web-7d9c6b5f4-x2k8p', 'web-7d9c6b5f4-m4n7q'])
  })

  it("lists a Job's own pods, and nothing of another namespace", () => {
    const migrate = job({})
    const elsewhere = jobPod(migrate, 'other', { containers: [waiting('migrate', 'ErrImagePull')] })
    elsewhere.metadata!.namespace = 'shop-production'
    expect(
      names(podsOf(migrate, { pods: [...pods, jobPod(migrate, 'mine'), elsewhere], replicaSets: [] }))
    ).toEqual(['migrate-mine'])
  })
})
