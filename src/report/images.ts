/**
 * The images a stage deployed, with the digest each container really runs as
 * the kubelet reports it (imageID). Only the pods of what the stage rolled out
 * count (rolledOutPods): a debug pod, an old revision's pod, or any pod someone
 * else made in the namespace must not decide the digest that a later stage is
 * pinned to. When the stage's own pods run one image with different digests (a
 * mutable tag pulled at different times), no digest is recorded for it and the
 * conflict is returned for the stage to fail on. Pure.
 */
import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import type { KubeObject } from '../manifests/types.js'
import { containersOf, displayName, podSpecsOf } from '../manifests/objects.js'
import { imageIdentity } from '../manifests/image.js'
import { rolledOutPods, type KubeResource } from '../kube/status/index.js'
import type { ImageRecord } from './record.js'

/**
 * The same image however it is written: the kubelet reports `nginx:1.27` as
 * `docker.io/library/nginx:1.27`, and an untagged reference means `latest`.
 */
function imageKey(reference: string): string {
  try {
    const { repository, tag } = imageIdentity(reference)
    return `${repository}:${tag}`
  } catch {
    return reference
  }
}

function digestOf(imageID: string | undefined): string | undefined {
  const at = imageID?.indexOf('@sha256:') ?? -1
  return at >= 0 ? imageID!.slice(at + 1) : imageID?.startsWith('sha256:') ? imageID : undefined
}

/** A workload as rendered (the images the release names) and as the cluster last showed it. */
export interface DeployedWorkload {
  rendered: KubeObject
  /** As applied or last watched: its uid, revision and status say which pods are its current ones. */
  live?: KubeResource
}

/** The pods and ReplicaSets of the stage's namespaces, as the wait saw them last. */
export interface PodsSeen {
  pods: readonly V1Pod[]
  replicaSets: readonly V1ReplicaSet[]
}

export interface PodDigest {
  pod: string
  container: string
  digest: string
}

/** One image (repository:tag) that the stage's own pods run with more than one digest. */
export interface DigestConflict {
  image: string
  pods: PodDigest[]
}

export interface RunningImages {
  images: ImageRecord[]
  conflicts: DigestConflict[]
}

/**
 * The digest a pod reports for its container `name`, when the pod's own spec
 * runs `key` there: a container rewritten to another image (a mutating
 * webhook) says nothing about this one.
 */
function reportedDigest(pod: V1Pod, name: string, key: string): string | undefined {
  const asked = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    c => c.name === name
  )?.image
  if (!asked || imageKey(asked) !== key) return undefined
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
  return digestOf(statuses.find(c => c.name === name)?.imageID)
}

const byPod = (a: PodDigest, b: PodDigest) =>
  a.pod.localeCompare(b.pod) || a.container.localeCompare(b.container)

export function runningImages(workloads: readonly DeployedWorkload[], seen: PodsSeen): RunningImages {
  const context = { pods: [...seen.pods], replicaSets: [...seen.replicaSets] }
  const images: (ImageRecord & { key?: string })[] = []
  /** What the stage's own pods report, by image key; each pod's container once. */
  const reported = new Map<string, PodDigest[]>()
  const counted = new Set<string>()
  for (const { rendered, live } of workloads) {
    const specs = podSpecsOf(rendered)
    if (specs.length === 0) continue
    const pods = rolledOutPods(live ?? (rendered as KubeResource), context)
    for (const at of specs) {
      for (const { container } of containersOf(at)) {
        if (!container.image) continue
        const record = { workload: displayName(rendered), container: container.name, image: container.image }
        if (container.image.includes('@')) {
          images.push({ ...record, digest: container.image.slice(container.image.indexOf('@') + 1) })
          continue
        }
        const key = imageKey(container.image)
        images.push({ ...record, key })
        for (const pod of pods) {
          const digest = reportedDigest(pod, container.name, key)
          const id = `${pod.metadata?.uid ?? pod.metadata?.name}/${container.name}`
          if (!digest || counted.has(id)) continue
          counted.add(id)
          reported.set(key, [
            ...(reported.get(key) ?? []),
            { pod: pod.metadata?.name ?? '?', container: container.name, digest }
          ])
        }
      }
    }
  }
  const digests = new Map<string, string>()
  const conflicts: DigestConflict[] = []
  for (const [image, pods] of reported) {
    if (new Set(pods.map(p => p.digest)).size === 1) digests.set(image, pods[0].digest)
    else conflicts.push({ image, pods: [...pods].sort(byPod) })
  }
  return {
    images: images.map(({ key, ...record }) =>
      key === undefined ? record : { ...record, digest: digests.get(key) }
    ),
    conflicts
  }
}

/** One line per image: which of the stage's pods run which digest of it. */
export function describeDigestConflict(conflict: DigestConflict): string {
  const count = new Set(conflict.pods.map(p => p.digest)).size
  const pods = conflict.pods.map(p => `${p.pod} (container ${p.container}) runs ${p.digest}`)
  return `${conflict.image} runs with ${count} different digests in the pods this stage rolled out: ${pods.join(', ')}`
}
