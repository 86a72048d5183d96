/**
 * The reads around the wait: the log tail that explains a failure, and the
 * one-time reads that only sharpen a verdict (storage classes that bind on
 * first use, node capacity). A read that is refused (a namespace-scoped Role)
 * is said once with what it costs, and the wait goes on without it.
 */
import type { KubeClient } from './client.js'
import { asKubeApiError } from './errors.js'
import { withQuery } from './paths.js'
import type { ResourceFailure } from './status/index.js'
import type { NodeCapacity } from './status/unschedulable.js'
import type { WaitTarget } from './wait-step.js'

const LOG_TAIL_LINES = 20
/** The log tail explains a failure but must not delay it: the stage fails within 2 s of the cause. */
const LOG_TAIL_TIMEOUT_MS = 1500

export async function fetchLogTail(
  client: KubeClient,
  namespace: string,
  failure: ResourceFailure
): Promise<string | undefined> {
  if (!failure.wantsLogs || !failure.pod) return undefined
  const path = withQuery(
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(failure.pod)}/log`,
    {
      container: failure.container,
      tailLines: LOG_TAIL_LINES,
      previous: failure.previousLogs ? true : undefined
    }
  )
  try {
    return await Promise.race([
      client.getText(path),
      new Promise<string>((_, reject) =>
        setTimeout(
          () => reject(new Error(`timed out after ${LOG_TAIL_TIMEOUT_MS}ms`)),
          LOG_TAIL_TIMEOUT_MS
        ).unref()
      )
    ])
  } catch (error) {
    return `(log unavailable: ${(error as Error).message})`
  }
}

/**
 * Storage classes that bind a claim only once a pod uses it: such a claim
 * with no pod yet is as ready as it can be. Unknown (no permission to list
 * storage classes) means none: the claim is then waited on until bound.
 */
export async function waitForFirstConsumerClasses(
  client: KubeClient,
  targets: WaitTarget[],
  log: (line: string) => void
): Promise<string[]> {
  if (!targets.some(t => t.object.kind === 'PersistentVolumeClaim')) return []
  try {
    const list = await client.getJson<{
      items: { metadata: { name: string }; volumeBindingMode?: string }[]
    }>('/apis/storage.k8s.io/v1/storageclasses')
    return list.items.filter(c => c.volumeBindingMode === 'WaitForFirstConsumer').map(c => c.metadata.name)
  } catch (error) {
    // A namespaced Role cannot read storage classes: the stage goes on, a little less sharp.
    log(
      cannotRead(
        'storage classes',
        error,
        'a PersistentVolumeClaim is waited on until it is bound, even when its class binds only once a pod uses it ' +
          '(grant get and list on storageclasses in a ClusterRole to judge those at once)'
      )
    )
    return []
  }
}

/** What a read that only sharpens a verdict could not do, and what that costs. Pure. */
export function cannotRead(what: string, error: unknown, cost: string): string {
  const why = asKubeApiError(error)?.status === 403 ? 'forbidden' : (error as Error).message
  return `Cannot read ${what} (${why}): ${cost}`
}

/**
 * Every node's allocatable resources, to tell a pod too large for any node
 * (doomed) from one waiting for room. Undefined when nodes cannot be read.
 */
export async function nodeCapacities(
  client: KubeClient,
  log: (line: string) => void
): Promise<NodeCapacity[] | undefined> {
  try {
    const list = await client.getJson<{
      items: {
        metadata: { name: string }
        spec?: { unschedulable?: boolean }
        status?: { allocatable?: Record<string, string> }
      }[]
    }>('/api/v1/nodes')
    return list.items.map(n => ({
      name: n.metadata.name,
      allocatable: n.status?.allocatable ?? {},
      unschedulable: n.spec?.unschedulable
    }))
  } catch (error) {
    log(
      cannotRead(
        'nodes',
        error,
        'an Unschedulable pod is judged by autoscaler events and the grace period only ' +
          '(grant get and list on nodes in a ClusterRole to fail at once a pod no node can hold)'
      )
    )
    return undefined
  }
}
