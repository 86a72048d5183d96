import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import { describeDigestConflict, runningImages } from '../../src/report/images.js'
import type { KubeObject } from '../../src/manifests/types.js'
import type { KubeResource } from '../../src/kube/status/types.js'
import {
  IMAGE,
  deployment,
  pod,
  podOf,
  replicaSetOf,
  running,
  statefulPod,
  statefulSet
} from '../fixtures/status/builders.js'

const OWN = `sha256:${'a'.repeat(64)}`
const STRAY = `sha256:${'b'.repeat(64)}`
const OTHER = `sha256:${'c'.repeat(64)}`
const REPOSITORY = IMAGE.slice(0, IMAGE.lastIndexOf(':'))

/** The Deployment at revision 2, as the wait saw it last, and its two ReplicaSets. */
const web = deployment({ revision: '2', replicas: 2 })
const oldRs = replicaSetOf(web, '5f6d8c7b9', '1', 0)
const newRs = replicaSetOf(web, '7d9c6b5f4', '2', 2)
const admin = deployment({ name: 'admin' })
const adminRs = replicaSetOf(admin, '9a8b7c6d5', '1', 1)

/** The Deployment as rendered from the manifests: no uid, no status. */
function rendered(image = IMAGE, name = 'web'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop-staging' },
    spec: { template: { spec: { containers: [{ name: 'web', image }] } } }
  }
}

/** A pod whose container `web` runs `image` (its spec) and was reported with `imageID`. */
function runs(base: V1Pod, imageID: string, options: { image?: string; reported?: string } = {}): V1Pod {
  const copy = structuredClone(base)
  copy.spec!.containers = [{ name: 'web', image: options.image ?? IMAGE }]
  copy.status!.containerStatuses = [
    { ...running('web'), image: options.reported ?? options.image ?? IMAGE, imageID }
  ]
  return copy
}

const own = (suffix: string, digest = OWN) => runs(podOf(newRs, suffix), `${REPOSITORY}@${digest}`)
const seen = (pods: V1Pod[], replicaSets: V1ReplicaSet[] = [oldRs, newRs, adminRs]) => ({ pods, replicaSets })
const deployed = (live: KubeResource = web as KubeResource, object = rendered()) => [
  { rendered: object, live }
]

describe('runningImages', () => {
  it('finds the digest the kubelet reports under its normalised name', () => {
    const nginx = runs(podOf(newRs, 'n1'), `docker.io/library/nginx@${OWN}`, {
      image: 'nginx:1.27',
      reported: 'docker.io/library/nginx:1.27'
    })
    expect(runningImages(deployed(undefined, rendered('nginx:1.27')), seen([nginx]))).toEqual({
      images: [{ workload: 'Deployment/web', container: 'web', image: 'nginx:1.27', digest: OWN }],
      conflicts: []
    })
    const latest = runs(podOf(newRs, 'l1'), `ghcr.io/o/app@${OWN}`, { image: 'ghcr.io/o/app' })
    expect(
      runningImages(deployed(undefined, rendered('ghcr.io/o/app')), seen([latest])).images[0].digest
    ).toBe(OWN)
  })

  it("goes by the pod's container, whatever other tag of the same image the runtime reports", () => {
    // containerd names an image by its first tag: two tags of one image, the status may say either.
    const alias = runs(podOf(newRs, 'x2k8p'), `${REPOSITORY}@${OWN}`, { reported: `${REPOSITORY}:stable` })
    expect(runningImages(deployed(), seen([alias])).images[0].digest).toBe(OWN)
  })

  it('keeps a digest written in the manifest, and reports none when the kubelet gave none', () => {
    expect(
      runningImages(deployed(web as KubeResource, rendered(`${REPOSITORY}@${OWN}`)), seen([])).images[0]
        .digest
    ).toBe(OWN)
    expect(runningImages(deployed(), seen([runs(podOf(newRs, 'p1'), '')])).images[0].digest).toBeUndefined()
  })

  describe('takes the digest from the pods the stage rolled out only', () => {
    const strays: [string, V1Pod][] = [
      ['a debug pod with no owner', runs(pod('debug'), `${REPOSITORY}@${STRAY}`)],
      [
        "a pod of the Deployment's previous ReplicaSet",
        runs(podOf(oldRs, 'a1b2c'), `${REPOSITORY}@${STRAY}`)
      ],
      ["another Deployment's pod", runs(podOf(adminRs, 'q9w8e'), `${REPOSITORY}@${STRAY}`)],
      [
        "a pod with the new revision's labels that no ReplicaSet owns",
        runs(
          { ...podOf(newRs, 'fake1'), metadata: { ...podOf(newRs, 'fake1').metadata, ownerReferences: [] } },
          `${REPOSITORY}@${STRAY}`
        )
      ]
    ]
    it.each(
      strays.flatMap(([what, stray]) => [[what, 'before', stray] as const, [what, 'after', stray] as const])
    )('%s, seen %s the own pod, does not change it', (_, order, stray) => {
      const pods = order === 'before' ? [stray, own('x2k8p')] : [own('x2k8p'), stray]
      expect(runningImages(deployed(), seen(pods))).toEqual({
        images: [{ workload: 'Deployment/web', container: 'web', image: IMAGE, digest: OWN }],
        conflicts: []
      })
    })

    it('and with only stray pods, records no digest', () => {
      const [, debug] = strays[0]
      expect(runningImages(deployed(), seen([debug])).images[0].digest).toBeUndefined()
    })
  })

  it("ignores a rolled-out pod's container that runs another image than the manifest says", () => {
    const rewritten = runs(podOf(newRs, 'r1'), `mirror.example/web@${STRAY}`, {
      image: 'mirror.example/web:1.4.2'
    })
    expect(runningImages(deployed(), seen([own('x2k8p'), rewritten]))).toMatchObject({
      images: [{ digest: OWN }],
      conflicts: []
    })
  })

  it('reads which pods are current from the workload as last seen, not as rendered', () => {
    const db = statefulSet({ currentRevision: 'db-1', updateRevision: 'db-2' })
    const dbManifest: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'shop-staging' },
      spec: { template: { spec: { containers: [{ name: 'web', image: IMAGE }] } } }
    }
    const pods = [
      runs(statefulPod(db, 0, 'db-1'), `${REPOSITORY}@${STRAY}`),
      runs(statefulPod(db, 1, 'db-2'), `${REPOSITORY}@${OWN}`)
    ]
    expect(
      runningImages([{ rendered: dbManifest, live: db as KubeResource }], seen(pods)).images[0].digest
    ).toBe(OWN)
    // Without its status there is no telling the revisions apart: no digest rather than a guess.
    expect(runningImages([{ rendered: dbManifest }], seen(pods)).images[0].digest).toBeUndefined()
  })

  describe('when the pods rolled out disagree on a digest', () => {
    it('reports the conflict with each pod and its digest, and records no digest', () => {
      const result = runningImages(deployed(), seen([own('zz9', OTHER), own('x2k8p')]))
      expect(result.images[0].digest).toBeUndefined()
      expect(result.conflicts).toEqual([
        {
          image: IMAGE,
          pods: [
            { pod: 'web-7d9c6b5f4-x2k8p', container: 'web', digest: OWN },
            { pod: 'web-7d9c6b5f4-zz9', container: 'web', digest: OTHER }
          ]
        }
      ])
      expect(describeDigestConflict(result.conflicts[0])).toBe(
        `${IMAGE} runs with 2 different digests in the pods this stage rolled out: ` +
          `web-7d9c6b5f4-x2k8p (container web) runs ${OWN}, web-7d9c6b5f4-zz9 (container web) runs ${OTHER}`
      )
    })

    it("across workloads too: one tag, two digests, among the stage's own pods", () => {
      const adminPod = runs(podOf(adminRs, 'q9w8e'), `${REPOSITORY}@${OTHER}`)
      const result = runningImages(
        [...deployed(), { rendered: rendered(IMAGE, 'admin'), live: admin as KubeResource }],
        seen([own('x2k8p'), adminPod])
      )
      expect(result.conflicts.map(c => c.pods.map(p => p.pod))).toEqual([
        ['admin-9a8b7c6d5-q9w8e', 'web-7d9c6b5f4-x2k8p']
      ])
      expect(result.images.map(i => i.digest)).toEqual([undefined, undefined])
    })

    it('but not about a stray pod', () => {
      const debug = runs(pod('debug'), `${REPOSITORY}@${STRAY}`)
      expect(runningImages(deployed(), seen([own('x2k8p'), debug, own('y7u6t')])).conflicts).toEqual([])
    })
  })
})
