/**
 * Apply order: what others depend on goes first. Within a tier, objects are
 * independent and applied concurrently. Pure.
 */
import type { KubeObject } from './types.js'

/** What runs the application: applied last, after pre-deploy Jobs (stage/apply.ts). */
const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
  'ReplicationController'
]

export function isWorkload(object: Pick<KubeObject, 'kind'>): boolean {
  return WORKLOAD_KINDS.includes(object.kind)
}

/**
 * A custom resource: its API group has a dot and is not Kubernetes' own
 * (`*.k8s.io`, `*.kubernetes.io`), which is the rule the API server holds CRDs to.
 * Built-in groups (`apps`, `batch`, `networking.k8s.io`) are not.
 */
export function isCustomResource(object: Pick<KubeObject, 'apiVersion'>): boolean {
  const slash = object.apiVersion.indexOf('/')
  const group = slash < 0 ? '' : object.apiVersion.slice(0, slash)
  return group.includes('.') && !group.endsWith('.k8s.io') && !group.endsWith('.kubernetes.io')
}

/**
 * Custom resources that make a Secret, and the stores and issuers they read: a migration may
 * need the Secret (its database password), so they come first (stage/apply.ts waits for it).
 */
const SECRET_PRODUCERS = [
  'ExternalSecret',
  'SealedSecret',
  'Certificate',
  'SecretStore',
  'ClusterSecretStore',
  'Issuer',
  'ClusterIssuer'
]

/**
 * Applied after the pre-deploy Jobs (stage/apply.ts): the workloads, and custom
 * resources, whose controllers act on the new version at once (a CR's operator
 * may read the schema the migration makes), except those that make Secrets.
 */
export function appliedAfterPreDeploy(object: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return isWorkload(object) || (isCustomResource(object) && !SECRET_PRODUCERS.includes(object.kind))
}

const TIERS: string[][] = [
  ['Namespace'],
  ['CustomResourceDefinition'],
  ['ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'],
  [
    'ConfigMap',
    'Secret',
    'PersistentVolume',
    'PersistentVolumeClaim',
    'StorageClass',
    'LimitRange',
    'ResourceQuota',
    'NetworkPolicy',
    'PriorityClass',
    // Nothing above depends on a Service, nor a Service on them: one tier, one round trip less.
    'Service'
  ],
  WORKLOAD_KINDS
]

const TIER_OF = new Map(TIERS.flatMap((kinds, tier) => kinds.map(kind => [kind, tier] as const)))
const LAST_TIER = TIERS.length

export function tierOf(object: Pick<KubeObject, 'kind'>): number {
  return TIER_OF.get(object.kind) ?? LAST_TIER
}

/** Non-empty tiers in apply order; objects keep their input order within a tier. */
export function orderForApply<T extends Pick<KubeObject, 'kind'>>(objects: T[]): T[][] {
  const tiers: T[][] = Array.from({ length: LAST_TIER + 1 }, () => [])
  for (const object of objects) tiers[tierOf(object)].push(object)
  return tiers.filter(tier => tier.length > 0)
}
