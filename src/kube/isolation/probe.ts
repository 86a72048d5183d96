/**
 * Verifies instead of asserting: with isolation on, a target pod behind a
 * probe policy and a client pod in the stage's own namespace find out whether
 * the cluster's network enforces NetworkPolicy by namespace label. Namespaced
 * permissions only (pods and networkpolicies: create, get, delete); the pods
 * are small, unprivileged and removed afterwards; it runs alongside the
 * readiness wait, so it costs the stage seconds at most.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { KubeClient } from '../client.js'
import { asKubeApiError } from '../errors.js'
import type { KubeObject } from '../../manifests/types.js'
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  PROBE_LABEL,
  PROBE_NAMES,
  probeClient,
  probePolicy,
  probeTarget,
  probeVerdict,
  type ProbeVerdict
} from './policy.js'

export interface ProbeOptions {
  namespace: string
  environment: string
  image: string
  fieldManager: string
  timeoutMs: number
  log: (line: string) => void
}

export interface ProbeResult {
  verdict: ProbeVerdict
  elapsedMs: number
}

interface PodView {
  metadata: { name: string; labels?: Record<string, string> }
  status?: {
    phase?: string
    podIP?: string
    conditions?: { type: string; status: string }[]
    containerStatuses?: {
      ready?: boolean
      state?: { waiting?: { reason?: string; message?: string }; terminated?: { exitCode?: number } }
    }[]
  }
}

/** A waiting reason that will not resolve by itself (the image cannot be pulled, the pod is refused). */
const STUCK = /ErrImagePull|ImagePullBackOff|InvalidImageName|CreateContainerConfigError|CreateContainerError/

const podsPath = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`

async function createPod(client: KubeClient, pod: KubeObject, suffix: string): Promise<string> {
  const name = `${pod.metadata.name}-${suffix}`
  await client.send('POST', podsPath(pod.metadata.namespace!), {
    ...pod,
    metadata: { ...pod.metadata, name }
  })
  return name
}

/** Polls a pod until `done` says what it found, the pod is stuck, or time runs out. */
async function watchPod<T>(
  client: KubeClient,
  namespace: string,
  name: string,
  deadline: number,
  done: (pod: PodView) => T | undefined
): Promise<T | { stuck: string }> {
  let last = 'not created yet'
  while (Date.now() < deadline) {
    const pod = await client.getJson<PodView>(`${podsPath(namespace)}/${encodeURIComponent(name)}`)
    const found = done(pod)
    if (found !== undefined) return found
    const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting
    last = waiting?.reason
      ? `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`
      : (pod.status?.phase ?? 'Pending')
    if (waiting?.reason && STUCK.test(waiting.reason)) return { stuck: `pod ${name}: ${last}` }
    await sleep(250)
  }
  return { stuck: `pod ${name} was still ${last} after the probe's time ran out` }
}

const isStuck = (value: unknown): value is { stuck: string } =>
  !!value && typeof value === 'object' && 'stuck' in value

/** Removes every probe pod (this run's and any a crashed run left) and the probe policy; does not wait. */
async function cleanUp(client: KubeClient, namespace: string): Promise<void> {
  const pods = await client
    .getJson<{ items: PodView[] }>(`${podsPath(namespace)}?labelSelector=${encodeURIComponent(PROBE_LABEL)}`)
    .catch(() => ({ items: [] as PodView[] }))
  const gone = (error: unknown) => {
    if (asKubeApiError(error)?.status !== 404) throw error
  }
  await Promise.all([
    ...pods.items
      .filter(p => p.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY)
      .map(p =>
        client
          .send(
            'DELETE',
            `${podsPath(namespace)}/${encodeURIComponent(p.metadata.name)}?gracePeriodSeconds=0`
          )
          .catch(gone)
      ),
    client
      .send(
        'DELETE',
        `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/networkpolicies/${PROBE_NAMES.policy}`
      )
      .catch(gone)
  ])
}

export async function probeIsolation(client: KubeClient, options: ProbeOptions): Promise<ProbeResult> {
  const { namespace, environment, image } = options
  const started = Date.now()
  const deadline = started + options.timeoutMs
  const suffix = randomBytes(3).toString('hex')
  try {
    // The policy first: the target is never reachable without it.
    const policy = probePolicy(namespace, environment)
    await client.send(
      'PATCH',
      `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/networkpolicies/${PROBE_NAMES.policy}?fieldManager=${encodeURIComponent(options.fieldManager)}&force=true`,
      policy,
      'application/apply-patch+yaml'
    )
    const target = await createPod(client, probeTarget(namespace, image), suffix)
    options.log(`Isolation probe: waiting for ${target} (${image}) to serve`)
    const ip = await watchPod(client, namespace, target, deadline, pod =>
      pod.status?.podIP && pod.status.containerStatuses?.[0]?.ready ? pod.status.podIP : undefined
    )
    if (isStuck(ip))
      return { verdict: { state: 'inconclusive', reason: ip.stuck }, elapsedMs: Date.now() - started }
    const clientPod = await createPod(client, probeClient(namespace, image, ip), suffix)
    options.log(`Isolation probe: ${clientPod} connects to ${target} through the probe policy`)
    const exit = await watchPod(client, namespace, clientPod, deadline, pod => {
      const phase = pod.status?.phase
      if (phase !== 'Succeeded' && phase !== 'Failed') return undefined
      return { code: pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode }
    })
    const verdict = isStuck(exit)
      ? { state: 'inconclusive' as const, reason: exit.stuck }
      : probeVerdict(exit.code)
    return { verdict, elapsedMs: Date.now() - started }
  } catch (error) {
    return {
      verdict: { state: 'inconclusive', reason: `the probe could not run: ${(error as Error).message}` },
      elapsedMs: Date.now() - started
    }
  } finally {
    await cleanUp(client, namespace).catch(error =>
      options.log(`Isolation probe: could not remove its pods or policy: ${(error as Error).message}`)
    )
  }
}
