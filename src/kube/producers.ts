/**
 * Waiting for the Secrets that producers make (ExternalSecret, SealedSecret,
 * Certificate), after they are applied and before anything that uses them:
 * each producer's controller must report it made the Secret from this stage's
 * spec, and the Secret must exist. An ExternalSecret is first asked to sync
 * now (the force-sync annotation External Secrets documents), so a value
 * rotated in the store reaches this release, not the next hourly refresh.
 * Polls: a stage has a handful of producers, and each poll is a GET of each.
 * Returns the produced Secrets' data, which the caller digests; the values
 * never reach the log, the summary or the record.
 */
import { StageError } from '../errors.js'
import { formatDuration } from '../duration.js'
import { displayName } from '../manifests/objects.js'
import type { SecretProducer } from '../manifests/producers.js'
import type { KubeObject } from '../manifests/types.js'
import type { ApiResource, KubeClient } from './client.js'
import { asKubeApiError } from './errors.js'
import { dataOf, getOrNull, secretPath, type SecretData } from './existing.js'
import { objectPath, withQuery } from './paths.js'
import { issuerOf, producerReadiness, type ProducerFacts } from './status/producer.js'
import {
  conditionText,
  findCondition,
  type Condition,
  type KubeResource,
  type Readiness
} from './status/types.js'

export interface ProducerTarget extends SecretProducer {
  resource: ApiResource
  /** Created by this stage: whatever its controller says is about this stage's spec. */
  created: boolean
}

export interface ProducerWaitOptions {
  timeoutMs: number
  log: (line: string) => void
  /** The field manager of the sync request: not the stage's, so its applies never remove the annotation. */
  syncManager: string
  /** Poll interval (default 500 ms). */
  intervalMs?: number
}

/** The annotation External Secrets Operator re-syncs on when its value changes. */
export const FORCE_SYNC_ANNOTATION = 'force-sync'

interface SyncBaseline {
  syncedBefore: string
  failureBefore?: string
  askedAt: number
}

/** Asks an ExternalSecret for a sync now; what its status said right then is the baseline. */
async function askForSync(
  client: KubeClient,
  target: ProducerTarget,
  manager: string
): Promise<SyncBaseline> {
  const { producer, resource } = target
  const path = withQuery(
    objectPath(producer.apiVersion, resource, producer.metadata.namespace, producer.metadata.name),
    { fieldManager: manager }
  )
  const patch = { metadata: { annotations: { [FORCE_SYNC_ANNOTATION]: String(Date.now()) } } }
  const { body } = await client.send<KubeResource>('PATCH', path, patch, 'application/merge-patch+json')
  const status = (body.status ?? {}) as { syncedResourceVersion?: string; conditions?: Condition[] }
  const ready = findCondition(status.conditions, 'Ready')
  return {
    syncedBefore: status.syncedResourceVersion ?? '',
    // The same text the rule compares: status/producer.ts judges a failure stale by it.
    failureBefore: ready?.status === 'False' && !target.created ? conditionText(ready) : undefined,
    askedAt: Date.now()
  }
}

async function readIssuer(
  client: KubeClient,
  certificate: KubeResource
): Promise<KubeResource | null | undefined> {
  const issuer = issuerOf(certificate)
  if (!issuer) return undefined
  const namespace = certificate.metadata?.namespace ?? ''
  const path =
    issuer.kind === 'ClusterIssuer'
      ? `/apis/cert-manager.io/v1/clusterissuers/${encodeURIComponent(issuer.name)}`
      : `/apis/cert-manager.io/v1/namespaces/${encodeURIComponent(namespace)}/issuers/${encodeURIComponent(issuer.name)}`
  // A namespaced Role cannot grant reading ClusterIssuers: then only cert-manager's own conditions speak.
  return getOrNull<KubeResource>(client, path).catch(error => {
    if (asKubeApiError(error)?.status === 403) return undefined
    throw error
  })
}

export async function awaitProducedSecrets(
  client: KubeClient,
  targets: readonly ProducerTarget[],
  options: ProducerWaitOptions
): Promise<SecretData> {
  const started = Date.now()
  const deadline = started + options.timeoutMs
  const baselines = new Map<ProducerTarget, SyncBaseline>()
  await Promise.all(
    targets
      .filter(t => t.kind === 'ExternalSecret')
      .map(async t => baselines.set(t, await askForSync(client, t, options.syncManager)))
  )
  const produced: SecretData = new Map()
  const said = new Map<ProducerTarget, string>()
  let pending = [...targets]
  for (;;) {
    const pendingSecrets = new Set(pending.map(t => t.secret))
    const judged = await Promise.all(pending.map(t => judge(client, t, baselines.get(t), pendingSecrets)))
    const stillPending: ProducerTarget[] = []
    const failure = judged.findIndex(j => j.readiness.state === 'Failed')
    if (failure >= 0) {
      const target = pending[failure]
      const detail = await controllerWarning(client, target)
      throw new StageError(
        'SecretNotProduced',
        `${displayName(target.producer)} (Secret ${target.secret}) was not made: ${judged[failure].readiness.message}${
          detail ? ` (${detail})` : ''
        }; no workload was applied`
      )
    }
    judged.forEach(({ readiness, data }, i) => {
      const target = pending[i]
      const name = `${displayName(target.producer)} (Secret ${target.secret})`
      if (data) {
        produced.set(target.secret, data)
        options.log(`${name}: ${readiness.message}`)
        return
      }
      if (said.get(target) !== readiness.message) {
        said.set(target, readiness.message)
        options.log(`Waiting for ${name}: ${readiness.message}`)
      }
      stillPending.push(target)
    })
    pending = stillPending
    if (pending.length === 0) return produced
    if (Date.now() >= deadline)
      throw new StageError(
        'Timeout',
        `${pending.length} Secret(s) not made within ${formatDuration(options.timeoutMs)}; no workload was applied: ${pending
          .map(t => `${displayName(t.producer)} (Secret ${t.secret}): ${said.get(t)}`)
          .join('; ')}`,
        { details: pending.map(t => `${displayName(t.producer)}: ${said.get(t)}`) }
      )
    await new Promise(resolve => setTimeout(resolve, options.intervalMs ?? 500))
  }
}

interface EventItem {
  type?: string
  message?: string
  lastTimestamp?: string
  eventTime?: string
  metadata?: { creationTimestamp?: string }
}

/**
 * External Secrets writes the same condition for every failure ("could not get secret data from
 * provider"); what went wrong (the key missing, the store not ready or not found) is only in its
 * newest Warning event. Undefined when there is none or events may not be read.
 */
async function controllerWarning(client: KubeClient, target: ProducerTarget): Promise<string | undefined> {
  if (target.kind !== 'ExternalSecret') return undefined
  const { namespace = '', name } = target.producer.metadata
  const selector = `involvedObject.kind=ExternalSecret,involvedObject.name=${name}`
  const path = withQuery(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {
    fieldSelector: selector
  })
  const events = await client.getJson<{ items?: EventItem[] }>(path).catch(() => undefined)
  const when = (e: EventItem) => e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? ''
  const newest = (events?.items ?? [])
    .filter(e => e.type === 'Warning' && e.message)
    .sort((a, b) => when(a).localeCompare(when(b)))
    .pop()
  return newest?.message
}

async function judge(
  client: KubeClient,
  target: ProducerTarget,
  baseline: SyncBaseline | undefined,
  pendingSecrets: ReadonlySet<string>
): Promise<{ readiness: Readiness; data?: Record<string, string> }> {
  const { producer, resource } = target
  const namespace = producer.metadata.namespace ?? ''
  const live = await getOrNull<KubeResource>(
    client,
    objectPath(producer.apiVersion, resource, namespace, producer.metadata.name)
  )
  if (!live) return { readiness: { state: 'InProgress', message: 'not found (deleted meanwhile?)' } }
  const facts: ProducerFacts = {
    syncedBefore: baseline?.syncedBefore,
    failureBefore: baseline?.failureBefore,
    sinceAskedMs: baseline ? Date.now() - baseline.askedAt : undefined,
    pendingSecrets
  }
  if (target.kind === 'Certificate') facts.issuer = await readIssuer(client, live)
  const readiness = producerReadiness(target.kind, live, facts)
  if (readiness.state !== 'Current') return { readiness }
  const secret = await getOrNull<KubeObject>(client, secretPath(namespace, target.secret))
  if (!secret)
    return {
      readiness: {
        state: 'InProgress',
        message: `reported made, but Secret ${target.secret} is not there yet`
      }
    }
  return { readiness, data: dataOf(secret) }
}
