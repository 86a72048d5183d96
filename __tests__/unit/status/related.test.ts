import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import {
  currentRevisionPods,
  newReplicaSet,
  ownedBy,
  podsOf,
  replicaSetsOf,
  rolledOutPods
} from '../../../src/kube/status/related.js'
import type { KubeResource } from '../../../src/kube/status/types.js'
import {
  daemonPod,
  daemonSet,
  deployment,
  job,
  jobPod,
  pod,
  podOf,
  replicaSetOf,
  statefulPod,
  statefulSet
} from '../../fixtures/status/builders.js'

const names = (list: { metadata?: { name?: string } }[]) => list.map(p => p.metadata?.name)

/** A copy of `object` with `change` applied, for the fields the builders do not set. */
function edited<T>(object: T, change: (copy: T) => void): T {
  const copy = structuredClone(object)
  change(copy)
  return copy
}

const web = deployment({ revision: '2' })
const oldRs = replicaSetOf(web, '5f6d8c7b9', '1', 1)
const newRs = replicaSetOf(web, '7d9c6b5f4', '2', 2)

describe('ownedBy', () => {
  const ref = (kind: string, name: string, uid: string) => ({ apiVersion: 'apps/v1', kind, name, uid })
  const owned = (...refs: ReturnType<typeof ref>[]): V1Pod => ({
    metadata: { name: 'p', ownerReferences: refs }
  })

  it('goes by uid when the owner has one, whichever of several references it is', () => {
    const both = owned(
      ref('ReplicaSet', 'web-5f6d8c7b9', 'uid-other'),
      ref('ReplicaSet', 'web-7d9c6b5f4', 'uid-rs-web-7d9c6b5f4')
    )
    expect(ownedBy(both, newRs as KubeResource)).toBe(true)
    // Same name, other uid: an owner deleted and created again owns nothing of the old one.
    const recreated = owned(ref('ReplicaSet', 'web-7d9c6b5f4', 'uid-deleted'))
    expect(ownedBy(recreated, newRs as KubeResource)).toBe(false)
  })

  it('goes by kind and name for an owner only known from its manifest', () => {
    const manifest: KubeResource = { kind: 'ReplicaSet', metadata: { name: 'web-7d9c6b5f4' } }
    const both = owned(ref('ReplicaSet', 'web-5f6d8c7b9', 'u1'), ref('ReplicaSet', 'web-7d9c6b5f4', 'u2'))
    expect(ownedBy(both, manifest)).toBe(true)
    expect(ownedBy(owned(ref('ReplicaSet', 'web-5f6d8c7b9', 'u1')), manifest)).toBe(false)
    // A StatefulSet of the same name is another owner.
    expect(ownedBy(owned(ref('StatefulSet', 'web-7d9c6b5f4', 'u3')), manifest)).toBe(false)
    // Without a kind, the name decides.
    const anyKind: KubeResource = { metadata: { name: 'web-7d9c6b5f4' } }
    expect(ownedBy(owned(ref('StatefulSet', 'web-7d9c6b5f4', 'u3')), anyKind)).toBe(true)
  })

  it('takes an object without owner references as owned by nothing', () => {
    expect(ownedBy(pod('debug'), newRs as KubeResource)).toBe(false)
  })
})

describe('podsOf and the namespace', () => {
  const db = statefulSet({})
  const mine = statefulPod(db, 0, 'db-6b8f9c7d4')
  const noNamespace = edited(statefulPod(db, 1, 'db-6b8f9c7d4'), p => delete p.metadata!.namespace)
  const elsewhere = edited(
    statefulPod(db, 2, 'db-6b8f9c7d4'),
    p => (p.metadata!.namespace = 'shop-production')
  )
  const context = { pods: [mine, noNamespace, elsewhere], replicaSets: [] }

  it('keeps pods of the same namespace, or of none said, and leaves out pods of another', () => {
    expect(names(podsOf(db as KubeResource, context))).toEqual(['db-0', 'db-1'])
  })

  it('keeps pods of any namespace for an object whose namespace is not said', () => {
    const unsaid = edited(db, s => delete s.metadata!.namespace)
    expect(names(podsOf(unsaid as KubeResource, context))).toEqual(['db-0', 'db-1', 'db-2'])
  })

  it("leaves out ReplicaSets of another namespace from a Deployment's", () => {
    const copy = edited(newRs, rs => (rs.metadata!.namespace = 'shop-production'))
    expect(names(replicaSetsOf(web as KubeResource, [oldRs, copy]))).toEqual(['web-5f6d8c7b9'])
  })
})

describe('newReplicaSet', () => {
  it("is the one of the Deployment's revision as seen, even when a newer one is already listed", () => {
    // Someone else's rollout created revision 3; the Deployment seen still says 2.
    const newer = replicaSetOf(web, '8c4b7f6d5', '3', 0)
    expect(newReplicaSet(web, [oldRs, newer, newRs])?.metadata?.name).toBe('web-7d9c6b5f4')
  })

  it("is none until the ReplicaSet of the Deployment's revision is seen", () => {
    const ahead = deployment({ revision: '3' })
    expect(newReplicaSet(ahead, [oldRs, newRs])).toBeUndefined()
  })

  describe('before the Deployment is annotated', () => {
    const unannotated = edited(web, d => delete d.metadata!.annotations)

    it('is the highest revision, in whatever order they are listed', () => {
      expect(newReplicaSet(unannotated, [oldRs, newRs])?.metadata?.name).toBe('web-7d9c6b5f4')
      expect(newReplicaSet(unannotated, [newRs, oldRs])?.metadata?.name).toBe('web-7d9c6b5f4')
    })

    it('ranks a ReplicaSet without a revision below any revision', () => {
      const fresh = edited(newRs, rs => delete rs.metadata!.annotations)
      expect(newReplicaSet(unannotated, [fresh, oldRs])?.metadata?.name).toBe('web-5f6d8c7b9')
    })

    it('keeps the first listed among equal revisions, so the choice does not flip between polls', () => {
      const first = edited(newRs, rs => delete rs.metadata!.annotations)
      const second = edited(
        oldRs,
        rs => (rs.metadata!.annotations!['deployment.kubernetes.io/revision'] = 'n/a')
      )
      expect(newReplicaSet(unannotated, [first, second])?.metadata?.name).toBe('web-7d9c6b5f4')
    })
  })
})

describe('currentRevisionPods', () => {
  it("tells a Deployment's new pods by the new ReplicaSet's pod-template-hash label", () => {
    // A pod relabelled into the new revision, not yet released by the old ReplicaSet.
    const relabelled = edited(
      podOf(oldRs, 'a1b2c'),
      p => (p.metadata!.labels = { app: 'web', 'pod-template-hash': '7d9c6b5f4' })
    )
    const context = { pods: [relabelled, podOf(newRs, 'x2k8p')], replicaSets: [oldRs, newRs] }
    expect(names(currentRevisionPods(web as KubeResource, context))).toEqual([
      'web-5f6d8c7b9-a1b2c',
      'web-7d9c6b5f4-x2k8p'
    ])
  })

  it('tells them by owner when the new ReplicaSet has no pod-template-hash label', () => {
    const unlabelled = (rs: V1ReplicaSet) => edited(rs, copy => delete copy.metadata!.labels)
    const [oldOne, newOne] = [unlabelled(oldRs), unlabelled(newRs)]
    const bare = (p: V1Pod) => edited(p, copy => (copy.metadata!.labels = { app: 'web' }))
    const context = {
      pods: [bare(podOf(oldRs, 'a1b2c')), bare(podOf(newRs, 'x2k8p'))],
      replicaSets: [oldOne, newOne]
    }
    expect(names(currentRevisionPods(web as KubeResource, context))).toEqual(['web-7d9c6b5f4-x2k8p'])
  })

  it('has no StatefulSet pod of the new revision before the controller reports the revision', () => {
    const db = edited(statefulSet({}), s => delete s.status!.updateRevision)
    const unlabelled = edited(statefulPod(db, 0, 'db-6b8f9c7d4'), p => (p.metadata!.labels = { app: 'db' }))
    expect(currentRevisionPods(db as KubeResource, { pods: [unlabelled], replicaSets: [] })).toEqual([])
  })

  it("counts a DaemonSet's pods of its template generation, and those without the label", () => {
    const agent = daemonSet({ templateGeneration: 2 })
    const unlabelled = edited(
      daemonPod(agent, 'u', 1),
      p => delete p.metadata!.labels!['pod-template-generation']
    )
    const pods = [daemonPod(agent, 'old', 1), daemonPod(agent, 'new', 2), unlabelled]
    expect(names(currentRevisionPods(agent as KubeResource, { pods, replicaSets: [] }))).toEqual([
      'node-agent-new',
      'node-agent-u'
    ])
  })

  it('counts every pod of a DaemonSet whose template generation is unknown', () => {
    const agent = edited(daemonSet({}), ds => {
      delete ds.metadata!.annotations
      delete ds.metadata!.generation
    })
    const pods = [daemonPod(agent, 'a', 1), daemonPod(agent, 'b', 2)]
    expect(names(currentRevisionPods(agent as KubeResource, { pods, replicaSets: [] }))).toEqual([
      'node-agent-a',
      'node-agent-b'
    ])
  })
})

describe('rolledOutPods: the pods whose images a release records', () => {
  const db = statefulSet({ currentRevision: 'db-5c4b3a2f1', updateRevision: 'db-6b8f9c7d4' })
  const agent = daemonSet({ templateGeneration: 2 })
  const migrate = job({})
  /** A Job of the same name made earlier: deleted with its pods orphaned, or not yet gone. */
  const earlierMigrate = edited(migrate, j => (j.metadata!.uid = 'uid-job-migrate-earlier'))
  const debug = pod('debug')
  /** A Pod the stage applied, as the wait saw it last. */
  const tools = pod('tools')
  const other = deployment({ name: 'admin' })
  const otherRs = replicaSetOf(other, '9a8b7c6d5', '1', 1)
  const standalone = edited(replicaSetOf(web, '1a2b3c4d5', '1', 1), rs => {
    rs.metadata!.name = 'standalone'
    rs.metadata!.uid = 'uid-rs-standalone'
    delete rs.metadata!.ownerReferences
  })
  /** A pod that copies the new revision's labels but no ReplicaSet owns. */
  const lookalike = edited(podOf(newRs, 'fake1'), p => delete p.metadata!.ownerReferences)
  const pods = [
    debug,
    tools,
    lookalike,
    podOf(oldRs, 'a1b2c'),
    podOf(newRs, 'x2k8p'),
    podOf(otherRs, 'q9w8e'),
    podOf(standalone, 's1'),
    statefulPod(db, 0, 'db-6b8f9c7d4'),
    statefulPod(db, 1, 'db-5c4b3a2f1'),
    edited(statefulPod(db, 2, 'db-6b8f9c7d4'), p => delete p.metadata!.ownerReferences),
    daemonPod(agent, 'old', 1),
    daemonPod(agent, 'new', 2),
    jobPod(migrate, 'run1'),
    jobPod(earlierMigrate, 'run0')
  ]
  const context = { pods, replicaSets: [oldRs, newRs, otherRs, standalone] }

  it.each<[string, KubeResource, string[]]>([
    ["a Deployment: its current ReplicaSet's pods only", web as KubeResource, ['web-7d9c6b5f4-x2k8p']],
    ['a StatefulSet: its pods at status.updateRevision', db as KubeResource, ['db-0']],
    ['a DaemonSet: its pods of the template generation', agent as KubeResource, ['node-agent-new']],
    [
      'a Job: the pods of this Job (its uid), not of an earlier one of the name',
      migrate as KubeResource,
      ['migrate-run1']
    ],
    [
      'a ReplicaSet applied alone: its own pods',
      { ...standalone, kind: 'ReplicaSet' } as KubeResource,
      ['standalone-s1']
    ],
    ['a bare Pod: itself, by uid', tools as KubeResource, ['tools']],
    [
      'a Pod only known from its manifest: itself, by name',
      { kind: 'Pod', metadata: { name: 'tools', namespace: 'shop-staging' } },
      ['tools']
    ],
    [
      'a CronJob: none (its pods belong to the Jobs it makes)',
      { kind: 'CronJob', metadata: { name: 'web', namespace: 'shop-staging', uid: 'uid-cron' } },
      []
    ]
  ])('%s', (_, object, expected) => {
    expect(names(rolledOutPods(object, context))).toEqual(expected)
  })

  it("takes no pod made again under a bare Pod's name by someone else", () => {
    const remade = edited(tools, p => (p.metadata!.uid = 'uid-pod-tools-remade'))
    expect(rolledOutPods(tools as KubeResource, { pods: [remade], replicaSets: [] })).toEqual([])
  })
})
