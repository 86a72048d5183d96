/**
 * The stage's namespace: created when missing, labelled with its environment,
 * and guarded so a stage never deploys into another environment's namespace.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { StageError } from '../errors.js'
import type { KubeClient } from './client.js'
import { asKubeApiError } from './errors.js'
import type { KubeObject } from '../manifests/types.js'
import { ENVIRONMENT_LABEL, ISOLATION_POLICY, MANAGED_BY, MANAGED_BY_LABEL } from './isolation/policy.js'

export { ENVIRONMENT_LABEL, MANAGED_BY, MANAGED_BY_LABEL, isolationPolicy } from './isolation/policy.js'

export interface NamespaceState {
  exists: boolean
  labels: Record<string, string>
}

export async function readNamespace(client: KubeClient, name: string): Promise<NamespaceState> {
  try {
    const ns = await client.getJson<KubeObject>(`/api/v1/namespaces/${encodeURIComponent(name)}`)
    return { exists: true, labels: ns.metadata.labels ?? {} }
  } catch (error) {
    if (asKubeApiError(error)?.status === 404) return { exists: false, labels: {} }
    throw error
  }
}

/** Refuses a namespace that belongs to another environment. Pure. */
export function guardNamespace(name: string, environment: string, state: NamespaceState): void {
  const labelled = state.labels[ENVIRONMENT_LABEL]
  if (state.exists && labelled !== undefined && labelled !== environment) {
    throw new StageError(
      'NamespaceGuard',
      `Namespace ${name} belongs to environment "${labelled}" (label ${ENVIRONMENT_LABEL}=${labelled}), not "${environment}": nothing was applied. ` +
        `Deploy ${environment} into its own namespace, or fix the namespace input.`
    )
  }
}

export function namespaceManifest(name: string, environment: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { [ENVIRONMENT_LABEL]: environment, [MANAGED_BY_LABEL]: MANAGED_BY } }
  }
}

/**
 * Deletes a namespace this stage created and waits until it is gone, so a
 * refused stage leaves nothing behind, not even a Terminating namespace that
 * would make the next attempt fail. Returns whether it is gone in time.
 */
export async function deleteNamespace(client: KubeClient, name: string, timeoutMs: number): Promise<boolean> {
  const path = `/api/v1/namespaces/${encodeURIComponent(name)}`
  // A refusal (no delete on namespaces) is said as such, not waited out as "still terminating".
  const refused = await client.send('DELETE', path).then(
    () => undefined,
    (error: unknown) => error
  )
  if (refused && asKubeApiError(refused)?.status !== 404) {
    const forbidden = asKubeApiError(refused)?.status === 403
    throw new Error(
      forbidden
        ? `deleting it was refused (forbidden): grant delete on namespaces (examples/rbac/cluster-extras.yaml), or delete it yourself`
        : `deleting it failed: ${(refused as Error).message}`,
      { cause: refused }
    )
  }
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!(await readNamespace(client, name)).exists) return true
    await sleep(250)
  }
  return false
}

/**
 * With isolate turned off, the policy an earlier stage added must not keep
 * isolating the namespace. Only ours (by name and managed-by label) is removed.
 * Reading it is split from removing it, so the read can go alongside other
 * requests: `remove()` deletes it and says whether there was one.
 */
export interface IsolationPolicy {
  /** Deletes it; false when there was none of ours. */
  remove(): Promise<boolean>
}

export async function findIsolationPolicy(client: KubeClient, namespace: string): Promise<IsolationPolicy> {
  const path = `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/networkpolicies/${ISOLATION_POLICY}`
  const none = { remove: async () => false }
  try {
    const policy = await client.getJson<KubeObject>(path)
    if (policy.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) return none
    return {
      remove: async () => {
        try {
          await client.send('DELETE', path)
          return true
        } catch (error) {
          if (asKubeApiError(error)?.status === 404) return false
          throw error
        }
      }
    }
  } catch (error) {
    if (asKubeApiError(error)?.status === 404) return none
    throw error
  }
}
