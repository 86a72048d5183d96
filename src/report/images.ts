/**
 * The images a stage deployed, with the digest each container really runs
 * when the kubelet reports one (imageID). Pure.
 */
import type { KubeObject } from '../manifests/types.js'
import { containersOf, displayName, podSpecsOf } from '../manifests/objects.js'
import { imageIdentity } from '../manifests/image.js'
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

type Pod = { metadata?: unknown; [key: string]: unknown }

function digestOf(imageID: string | undefined): string | undefined {
  const at = imageID?.indexOf('@sha256:') ?? -1
  return at >= 0 ? imageID!.slice(at + 1) : imageID?.startsWith('sha256:') ? imageID : undefined
}

/** Digests by image reference, from every container status the pods report. */
function reportedDigests(pods: Pod[]): Map<string, string> {
  const digests = new Map<string, string>()
  for (const pod of pods) {
    const status = (pod.status ?? {}) as Record<string, unknown>
    const statuses = [
      ...((status.initContainerStatuses as { image: string; imageID?: string }[]) ?? []),
      ...((status.containerStatuses as { image: string; imageID?: string }[]) ?? [])
    ]
    for (const container of statuses) {
      const digest = digestOf(container.imageID)
      if (digest) digests.set(imageKey(container.image), digest)
    }
  }
  return digests
}

export function runningImages(objects: KubeObject[], pods: Pod[]): ImageRecord[] {
  const digests = reportedDigests(pods)
  const records: ImageRecord[] = []
  for (const object of objects) {
    for (const at of podSpecsOf(object)) {
      for (const { container } of containersOf(at)) {
        if (!container.image) continue
        const pinned = container.image.includes('@')
          ? container.image.slice(container.image.indexOf('@') + 1)
          : undefined
        records.push({
          workload: displayName(object),
          container: container.name,
          image: container.image,
          digest: pinned ?? digests.get(imageKey(container.image))
        })
      }
    }
  }
  return records
}
