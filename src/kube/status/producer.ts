/**
 * Has a Secret producer's controller made its Secret, from this stage's spec?
 * One pure rule per producer kind, on the object as the API server returns it:
 * - ExternalSecret (External Secrets Operator): Ready=True once synced. The
 *   stage asks for a fresh sync (force-sync), so a sync counts only once
 *   status.syncedResourceVersion differs from what it was right after asking.
 *   Ready=False (SecretSyncedError: store unreachable, remote key missing) is
 *   the controller's verdict, except that a failure already there before the
 *   stage asked may be the previous spec's: it is believed only after a grace.
 * - SealedSecret (sealed-secrets): Synced=True, or Synced=False with the
 *   controller's reason (no key could decrypt it); status.observedGeneration
 *   says which spec the condition is about.
 * - Certificate (cert-manager): Ready=True of the current generation; the
 *   issuance failing (Issuing=False, reason Failed) or its issuer missing or
 *   not ready is a verdict, unless that issuer's own Secret is still being
 *   made by another producer of the stage (a CA bootstrapped in one set).
 */
import type { ProducerKind } from '../../manifests/producers.js'
import {
  conditionText,
  current,
  failed,
  findCondition,
  generationPending,
  inProgress,
  type Condition,
  type KubeResource,
  type Readiness
} from './types.js'

/** How long an ExternalSecret's failure from before the stage asked for a sync is doubted. */
export const STALE_FAILURE_GRACE_MS = 10_000

export interface ProducerFacts {
  /** ExternalSecret: status.syncedResourceVersion right after the stage asked for a sync ("" for none). */
  syncedBefore?: string
  /** ExternalSecret: the Ready=False text right after the stage asked for a sync. */
  failureBefore?: string
  /** Milliseconds since the stage asked for the sync. */
  sinceAskedMs?: number
  /** Certificate: its issuer as read now; null when it does not exist. */
  issuer?: KubeResource | null
  /** Secrets that producers of this stage are still making (a CA issuer's Secret may be one). */
  pendingSecrets?: ReadonlySet<string>
}

interface ProducerStatus {
  conditions?: Condition[]
  observedGeneration?: number
  syncedResourceVersion?: string
}

const statusOf = (object: KubeResource) => (object.status ?? {}) as ProducerStatus

function controllerFailure(what: string, condition: Condition): Readiness {
  return failed({ code: 'SecretNotProduced', reason: `${what}: ${conditionText(condition)}` })
}

export function externalSecretReadiness(object: KubeResource, facts: ProducerFacts): Readiness {
  const status = statusOf(object)
  const ready = findCondition(status.conditions, 'Ready')
  const synced = (status.syncedResourceVersion ?? '') !== (facts.syncedBefore ?? '')
  if (ready?.status === 'True' && synced) return current('synced from its store')
  if (ready?.status === 'False') {
    const text = conditionText(ready)
    const fresh = text !== facts.failureBefore || (facts.sinceAskedMs ?? 0) >= STALE_FAILURE_GRACE_MS
    if (fresh) return controllerFailure('the External Secrets controller cannot sync it', ready)
    return inProgress(`waiting for a fresh sync (the last one said ${text})`)
  }
  return inProgress('waiting for the External Secrets controller to sync it from its store')
}

export function sealedSecretReadiness(object: KubeResource): Readiness {
  const status = statusOf(object)
  const synced = findCondition(status.conditions, 'Synced')
  const pending = generationPending(object.metadata, status.observedGeneration)
  if (pending || !synced)
    return pending ?? inProgress('waiting for the sealed-secrets controller to unseal it')
  if (synced.status === 'True') return current('unsealed')
  if (synced.status === 'False')
    return controllerFailure('the sealed-secrets controller cannot unseal it', synced)
  return inProgress('waiting for the sealed-secrets controller to unseal it')
}

interface CertificateSpec {
  issuerRef?: { name?: string; kind?: string; group?: string }
}

/** The issuer a Certificate names: "Issuer/name" (namespaced, the default) or "ClusterIssuer/name". */
export function issuerOf(object: KubeResource): { kind: string; name: string } | undefined {
  const ref = (object.spec as CertificateSpec | undefined)?.issuerRef
  if (!ref?.name) return undefined
  if (ref.group && ref.group !== 'cert-manager.io') return undefined // an external issuer: its own rules
  return { kind: ref.kind || 'Issuer', name: ref.name }
}

function issuerProblem(object: KubeResource, facts: ProducerFacts): Readiness | undefined {
  const issuer = issuerOf(object)
  if (!issuer || facts.issuer === undefined) return undefined
  if (facts.issuer === null)
    return failed({
      code: 'SecretNotProduced',
      reason: `its ${issuer.kind} ${issuer.name} does not exist: create it, or name one that does in spec.issuerRef`
    })
  const status = statusOf(facts.issuer)
  const ready = findCondition(status.conditions, 'Ready')
  const pending = generationPending(facts.issuer.metadata, ready?.observedGeneration)
  if (pending || !ready || ready.status !== 'False') return undefined
  const caSecret = (facts.issuer.spec as { ca?: { secretName?: string } } | undefined)?.ca?.secretName
  if (caSecret && facts.pendingSecrets?.has(caSecret))
    return inProgress(
      `waiting for its ${issuer.kind} ${issuer.name}, whose CA Secret ${caSecret} is being made`
    )
  return failed({
    code: 'SecretNotProduced',
    reason: `its ${issuer.kind} ${issuer.name} is not ready: ${conditionText(ready)}`
  })
}

export function certificateReadiness(object: KubeResource, facts: ProducerFacts): Readiness {
  const status = statusOf(object)
  const ready = findCondition(status.conditions, 'Ready')
  const issuing = findCondition(status.conditions, 'Issuing')
  const pending = generationPending(object.metadata, ready?.observedGeneration)
  if (!pending && ready?.status === 'True') return current('issued')
  if (issuing?.status === 'False' && issuing.reason === 'Failed')
    return controllerFailure('cert-manager could not issue it', issuing)
  const problem = issuerProblem(object, facts)
  if (problem) return problem
  return (
    pending ?? inProgress(`waiting for cert-manager to issue it${ready ? ` (${conditionText(ready)})` : ''}`)
  )
}

export function producerReadiness(kind: ProducerKind, object: KubeResource, facts: ProducerFacts): Readiness {
  switch (kind) {
    case 'ExternalSecret':
      return externalSecretReadiness(object, facts)
    case 'SealedSecret':
      return sealedSecretReadiness(object)
    case 'Certificate':
      return certificateReadiness(object, facts)
  }
}
