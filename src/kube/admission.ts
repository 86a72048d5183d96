/**
 * Pod admission before anything is written. A Deployment's own dry run passes
 * in a namespace that enforces PodSecurity "restricted", because pods are only
 * admitted when the ReplicaSet creates them. So every workload's pod template is
 * dry-run as a Pod in the stage's namespace: PodSecurity, LimitRange, quota and
 * webhooks that only look at pods (Kyverno, Gatekeeper) judge the pod itself.
 */
import { settleConcurrent } from '../concurrency.js'
import { StageError } from '../errors.js'
import { displayName, podSpecsOf, podTemplateOf } from '../manifests/objects.js'
import type { KubeObject } from '../manifests/types.js'
import type { KubeClient } from './client.js'
import { asKubeApiError } from './errors.js'
import { parseDenial } from './forbidden.js'
import { withQuery } from './paths.js'

/** The Pod a workload's controller would create from its template. Pure. */
export function podFromTemplate(
  workload: KubeObject,
  namespace: string,
  createdServiceAccounts: ReadonlySet<string>
): KubeObject | undefined {
  const [at] = podSpecsOf(workload)
  if (!at || workload.kind === 'Pod') return undefined
  const templateMetadata = podTemplateOf(workload, at).metadata as
    { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined
  const spec = { ...(at.spec as Record<string, unknown>) }
  // A ServiceAccount this same stage creates does not exist yet: the default one stands in.
  if (typeof spec.serviceAccountName === 'string' && createdServiceAccounts.has(spec.serviceAccountName))
    delete spec.serviceAccountName
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: '',
      generateName: `${workload.metadata.name.slice(0, 40)}-preflight-`,
      namespace,
      labels: templateMetadata?.labels,
      annotations: templateMetadata?.annotations
    },
    spec
  }
}

export interface AdmissionResult {
  /** Warnings per workload ("would violate PodSecurity ..."). */
  warnings: { workload: KubeObject; message: string }[]
  /** Why the check could not run, if it could not (said once; the stage goes on). */
  skipped?: string
}

/** Dry-runs each workload's pod; a refusal fails the stage as AdmissionDenied, naming the workload. */
export async function checkPodAdmission(
  client: KubeClient,
  namespace: string,
  objects: KubeObject[],
  createdServiceAccounts: ReadonlySet<string>,
  concurrency: number
): Promise<AdmissionResult> {
  const path = withQuery(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, { dryRun: 'All' })
  const result: AdmissionResult = { warnings: [] }
  const denied: string[] = []
  const pods = objects.flatMap(workload => {
    if ((workload.metadata.namespace ?? namespace) !== namespace) return []
    const pod = podFromTemplate(workload, namespace, createdServiceAccounts)
    return pod ? [{ workload, pod }] : []
  })
  // Concurrently (one round trip, not one per workload); judged in manifest order.
  const answers = await settleConcurrent(pods, concurrency, ({ pod }) => client.send('POST', path, pod))
  for (const [i, answer] of answers.entries()) {
    const { workload } = pods[i]
    if (answer.status === 'fulfilled') {
      for (const message of answer.value.warnings) result.warnings.push({ workload, message })
      continue
    }
    const api = asKubeApiError(answer.reason)
    if (!api) throw answer.reason
    // The deployer may not create pods itself: the controllers' refusals still fail the stage at once.
    const denial = parseDenial(api.message)
    if (api.status === 403 && denial?.resource === 'pods' && denial.verb === 'create') {
      result.skipped = `cannot dry-run pods (${denial.user ?? 'the identity'} may not create pods in ${namespace}): pod admission is checked only when the controllers create the pods (add create on pods to the Role to check it before writing)`
      return result
    }
    // Webhooks without dry-run support cannot judge here; that is not their verdict.
    if (/does not support dry run|sideEffects/i.test(api.message)) {
      result.warnings.push({ workload, message: `pod admission could not be checked: ${api.message}` })
      continue
    }
    denied.push(`${displayName(workload)}: ${api.message.replace(/^pods "[^"]*" is forbidden: /, '')}`)
  }
  if (denied.length > 0) {
    throw new StageError(
      'AdmissionDenied',
      `The namespace ${namespace} refuses the pods of ${denied.length} workload(s); nothing was applied: ${denied[0]}`,
      { details: denied }
    )
  }
  return result
}
